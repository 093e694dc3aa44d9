using Kavach.Contracts;

namespace Kavach.Dashboard.Services.History;

/// <summary>A whole-range export's file format: CSV (a header, then a record a line) or NDJSON (an event a line).</summary>
public sealed record ExportFormat(string Name, string ContentType, string Extension, string? Header, Func<KavachEvent, string> Line)
{
    public static readonly ExportFormat Csv = new("csv", "text/csv; charset=utf-8", "csv", EventExport.CsvHeader, EventExport.CsvRow);
    public static readonly ExportFormat Ndjson = new("ndjson", "application/x-ndjson; charset=utf-8", "ndjson", null, EventExport.NdjsonLine);

    /// <summary>CSV's line break is RFC 4180's; NDJSON's is a plain one.</summary>
    public string NewLine => this == Csv ? "\r\n" : "\n";

    public static ExportFormat? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "csv" => Csv,
        "ndjson" or "jsonl" => Ndjson,
        _ => null,
    };
}
