using System.Globalization;
using System.Text;
using System.Text.Json;
using Kavach.Contracts;
using Kavach.Dashboard.Services.Events;

namespace Kavach.Dashboard.Services.History;

/// <summary>
/// Writes events as a JSON array (the API's own shape), as NDJSON (one event a line, the same shape), or as CSV with the
/// data as a JSON column. A row or a line at a time, so a range of any length is written as it is read.
/// </summary>
public static class EventExport
{
    public static readonly string[] CsvColumns = ["sequence", "id", "timestamp", "type", "agentId", "userId", "summary", "data"];

    public static string ToJson(IEnumerable<KavachEvent> events) =>
        JsonSerializer.Serialize(events, new JsonSerializerOptions(KavachJson.Options) { WriteIndented = true });

    public static string ToCsv(IEnumerable<KavachEvent> events)
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', CsvColumns).Append("\r\n");
        foreach (var e in events)
        {
            csv.Append(CsvRow(e)).Append("\r\n");
        }

        return csv.ToString();
    }

    public static string CsvHeader => string.Join(',', CsvColumns);

    /// <summary>One CSV record, without its line break.</summary>
    public static string CsvRow(KavachEvent e) => string.Join(',',
        e.Sequence.ToString(CultureInfo.InvariantCulture),
        Field(e.Id),
        e.Timestamp.ToString("O", CultureInfo.InvariantCulture),
        Field(e.Type),
        Field(e.AgentId),
        Field(e.UserId),
        Field(EventSummary.Describe(e)),
        Field(e.Data.ValueKind == JsonValueKind.Undefined ? "" : e.Data.GetRawText()));

    /// <summary>One NDJSON line (compact JSON never holds a raw line break), without its line break.</summary>
    public static string NdjsonLine(KavachEvent e) => JsonSerializer.Serialize(e, KavachJson.Options);

    /// <summary>RFC 4180 quoting; a leading formula character is neutralised so spreadsheets do not execute it.</summary>
    public static string Field(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
