using Kavach.StreamApi.Events;
using System.Text;
using System.Text.Json;
using Kavach.StreamApi.Apis;
using Kavach.StreamApi.Emit;
using Kavach.StreamApi.Options;
using Kavach.StreamApi.Persistence;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Kavach.UnitTests.StreamApi;

/// <summary>
/// Both sides of every emit input rule, through the same reader and validator the HTTP endpoint and the module API
/// use. The values accepted here are the ones <c>InputRoundTripTests</c> stores and reads back through every path.
/// </summary>
[TestClass]
public sealed class EmitInputBoundaryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static EventValidator Validator(int maxData = 64 * 1024) =>
        new(Microsoft.Extensions.Options.Options.Create(new StreamOptions { MaxEventDataBytes = maxData }), new FakeTimeProvider(Now));

    /// <summary>Reads and validates a raw body as the emit endpoint does; returns the errors (empty when accepted).</summary>
    private static Dictionary<string, string[]> Emit(byte[] body, int maxData = 64 * 1024)
    {
        if (!EmitRequestReader.TryParse(body, out var document, out var bodyError))
        {
            return new() { ["(body)"] = [bodyError!] };
        }

        using (document)
        {
            var errors = new Dictionary<string, string[]>();
            var (drafts, isBatch) = EmitRequestReader.Read(document!.RootElement, errors);
            Validator(maxData).Validate(drafts, isBatch, out var rejection);
            foreach (var (field, messages) in rejection?.Errors ?? new Dictionary<string, string[]>())
            {
                errors.TryAdd(field, messages);
            }

            return errors;
        }
    }

    private static Dictionary<string, string[]> Emit(string json, int maxData = 64 * 1024) => Emit(Encoding.UTF8.GetBytes(json), maxData);

    private static void Accepted(string json, int maxData = 64 * 1024)
    {
        var errors = Emit(json, maxData);
        Assert.IsEmpty(errors, $"{Excerpt(json)} was refused: {Describe(errors)}");
    }

    private static void Refused(string json, string field, string because, int maxData = 64 * 1024)
    {
        var errors = Emit(json, maxData);
        Assert.IsTrue(errors.TryGetValue(field, out var messages), $"{Excerpt(json)}: expected an error on '{field}', got {Describe(errors)}");
        StringAssert.Contains(string.Join(" ", messages), because);
    }

    private static string Describe(Dictionary<string, string[]> errors) =>
        errors.Count == 0 ? "none" : string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));

    private static string Excerpt(string json) => json.Length <= 120 ? json : json[..120] + "…";

    private static string Nested(int depth, string leaf = "1") =>
        string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{\"a\":" + leaf + "}" + new string('}', depth - 1);

    [TestMethod]
    [DataRow("id")]
    [DataRow("agentId")]
    [DataRow("userId")]
    public void TextFieldsAreOneTo200CharactersOfWellFormedUnicodeWithoutControls(string field)
    {
        string Body(string escapedValue) => $$"""{"type":"audit","{{field}}":"{{escapedValue}}"}""";

        Accepted(Body(new string('x', 200)));
        Accepted(Body("\\u2028\\u2029 line and paragraph separators"));
        Accepted(Body("non-characters \\ufffe\\uffff\\udbff\\udfff"));
        Accepted(Body("emoji 😀 \\ud83d\\ude00 and é"));
        Accepted(Body("quotes \\\" and backslash \\\\ and <script>"));

        Refused(Body(new string('x', 201)), field, "1 to 200");
        Refused(Body(""), field, "1 to 200");
        Refused(Body("a\\u0000b"), field, "NUL");
        Refused(Body("a\\u0085b"), field, "control");
        Refused(Body("a\\nb"), field, "control");
        Refused(Body("\\ud800"), field, "unpaired");
        Refused(Body("\\udc00"), field, "unpaired");
        Refused(Body("\\udc00\\ud800"), field, "unpaired");
        Refused(Body("\\ud800x"), field, "unpaired");
        Refused(Body("\\ud800\\n"), field, "unpaired");
    }

    [TestMethod]
    public void ModuleCallersGetTheSameTextRule()
    {
        Validator().Validate([new EventDraft("audit", AgentId: "ok \u2028 \uFFFE 😀")], false, out var accepted);
        Validator().Validate([new EventDraft("audit", AgentId: "lone \ud800", UserId: "reversed \udc00\ud800", Id: "nul\0")], false, out var refused);

        Assert.IsNull(accepted);
        CollectionAssert.AreEquivalent(new[] { "agentId", "userId", "id" }, refused!.Errors.Keys.ToList());
        Assert.IsNull(IdText.Check("agent-7"));
        StringAssert.Contains(IdText.Check("\0"), "control");
    }

    [TestMethod]
    public void TypeWithAnUnpairedSurrogateIsAFieldErrorNotACrash()
    {
        Refused("""{"type":"audit\ud800"}""", "type", "unpaired");
        Refused("""[{"type":"audit"},{"type":"\udc00"}]""", "[1].type", "unpaired");
    }

    [TestMethod]
    public void BodyMustBeValidUtf8()
    {
        byte[] Body(params byte[] agentBytes) =>
            [.. "{\"type\":\"audit\",\"agentId\":\"a"u8, .. agentBytes, .. "\"}"u8];

        Assert.IsEmpty(Emit(Body(0xC3, 0xA9)), "é");
        Assert.IsEmpty(Emit(Body(0xF0, 0x9F, 0x98, 0x80)), "😀");
        Assert.IsEmpty(Emit(Body(0xEF, 0xBF, 0xBE)), "U+FFFE");

        foreach (var bad in new byte[][] { [0xFF], [0xC3], [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80] })
        {
            var errors = Emit(Body(bad));
            Assert.IsTrue(errors.TryGetValue("(body)", out var messages), Convert.ToHexString(bad));
            StringAssert.Contains(messages[0], "offset 28");
        }

        // In data, and in a property name: the body check comes first.
        StringAssert.Contains(Emit([.. "{\"type\":\"audit\",\"data\":{\""u8, 0xFF, .. "\":1}}"u8])["(body)"][0], "UTF-8");
    }

    [TestMethod]
    public void DataFromInvalidUtf8ThroughTheModuleIsRefused()
    {
        // JsonDocument does not check string bytes when parsing: a module caller can hand such an element in.
        using var document = JsonDocument.Parse((byte[])[.. "{\"k\":\""u8, 0xFF, .. "\"}"u8]);
        Validator().Validate([new EventDraft("audit", document.RootElement)], false, out var rejection);
        StringAssert.Contains(rejection!.Errors["data"][0], "UTF-8");
    }

    [TestMethod]
    public void DataFromJsonWithCommentsThroughTheModuleIsRefused()
    {
        using var document = JsonDocument.Parse("{\"k\":1 /* note */, }", new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        Validator().Validate([new EventDraft("audit", document.RootElement)], false, out var rejection);
        StringAssert.Contains(rejection!.Errors["data"][0], "plain JSON");
    }

    [TestMethod]
    public void DataStringsAndNamesMustBeStorableByJsonb()
    {
        Accepted("""{"type":"audit","data":{"control":"\u0001\u001f\b\f\n\r\t","pair":"\ud83d\ude00","sep":"\u2028","nonchar":"\uffff","\u0001key":1}}""");

        Refused("""{"type":"audit","data":{"k":"\u0000"}}""", "data", "\\u0000");
        Refused("""{"type":"audit","data":{"a\u0000":1}}""", "data", "\\u0000");
        Refused("""{"type":"audit","data":{"list":["ok",{"k":"\ud800"}]}}""", "data", "data.list[1].k");
        Refused("""{"type":"audit","data":{"k":"\udc00\ud800"}}""", "data", "unpaired");
        Refused("""{"type":"audit","data":{"k":"x\ud800"}}""", "data", "unpaired");
        Refused("""{"type":"audit","data":{"\ud800":1}}""", "data", "property name");
        Refused("""{"type":"audit","\ud800":1}""", "(property name)", "unpaired");
    }

    [TestMethod]
    public void DataNamesAndEventFieldsAppearOncePerObject()
    {
        Accepted("""{"type":"audit","data":{"a":{"k":1},"b":{"k":1}}}""");

        Refused("""{"type":"audit","data":{"k":1,"k":2}}""", "data", "'k' appears twice");
        Refused("""{"type":"audit","data":{"x":[{"k":1,"\u006b":2}]}}""", "data", "data.x[0]");
        Refused("""{"type":"audit","agentId":"a","agentId":"b"}""", "agentId", "more than once");
    }

    [TestMethod]
    [DataRow("1.7976931348623157e308")]
    [DataRow("-1.7976931348623157E+308")]
    [DataRow("1e308")]
    [DataRow("5e-324")]
    [DataRow("1e-400")]
    [DataRow("0e999999999")]
    [DataRow("-0")]
    [DataRow("123456789012345678901234567890.123456789012345678901234567890")]
    public void NumbersThatDoublesAndNumericHoldAreAccepted(string number) =>
        Accepted($$$"""{"type":"audit","data":{"n":{{{number}}}}}""");

    [TestMethod]
    [DataRow("1.8e308", "64-bit")]
    [DataRow("-1e309", "64-bit")]
    [DataRow("1e1000000", "64-bit")]
    [DataRow("1e99999999999999999999", "64-bit")]
    [DataRow("1e-16384", "16383 digits")]
    [DataRow("1e-100000", "16383 digits")]
    [DataRow("0e-16384", "16383 digits")]
    public void NumbersBeyondDoublesOrNumericAreRefused(string number, string because) =>
        Refused($$$"""{"type":"audit","data":{"n":{{{number}}}}}""", "data", because);

    [TestMethod]
    public void LongDigitStringsFollowTheSameRules()
    {
        Accepted($$$"""{"type":"audit","data":{"n":{{{"1" + new string('0', 308)}}}}}""");
        Accepted($$$"""{"type":"audit","data":{"n":0.{{{new string('7', 16383)}}}}}""");
        Accepted("""{"type":"audit","data":{"n":1e-16383}}""");

        Refused($$$"""{"type":"audit","data":{"n":{{{"1" + new string('0', 309)}}}}}""", "data", "64-bit");
        Refused($$$"""{"type":"audit","data":{"n":0.{{{new string('7', 16384)}}}}}""", "data", "16383 digits");
    }

    [TestMethod]
    [DataRow("0", 1)]
    [DataRow("-12.5", 5)]
    [DataRow("1.5e-3", 6)]      // 0.0015
    [DataRow("100e-5", 7)]      // 0.00100
    [DataRow("1.50e1", 4)]      // 15.0
    [DataRow("-0.0e5", 1)]      // 0
    [DataRow("-0.00", 4)]       // 0.00
    [DataRow("12.3400E+1", 7)]  // 123.400
    [DataRow("0.00012e2", 5)]   // 0.012
    [DataRow("1e308", 309)]
    [DataRow("1e-3", 5)]        // 0.001
    [DataRow("0e-16383", 16385)]
    public void NumbersCountAsJsonbWritesThemOut(string number, int writtenOut)
    {
        // Each expected length is what PostgreSQL 15 returns for SELECT ('{"a": <number>}'::jsonb)->>'a'.
        Assert.IsNull(EventValidator.CheckNumber(Encoding.ASCII.GetBytes(number), out var length));
        Assert.AreEqual(writtenOut, length);
    }

    [TestMethod]
    public void DataSizeCountsNumbersWrittenOut()
    {
        // {"n":1e300} is 11 bytes as sent; its number comes back as 301 digits, so it counts 307.
        Accepted("""{"type":"audit","data":{"n":1e300}}""", maxData: 307);
        var errors = Emit("""{"type":"audit","data":{"n":1e300}}""", maxData: 306);
        StringAssert.Contains(errors["data"][0], "Larger than 306 bytes");
    }

    [TestMethod]
    public void DataNestsAtMost32Levels()
    {
        Accepted($$"""{"type":"audit","data":{{Nested(32)}}}""");
        Accepted($$"""[{"type":"audit","data":{{Nested(31, "[1]")}}}]""");

        Refused($$"""{"type":"audit","data":{{Nested(33)}}}""", "data", "deeper than 32");
        Refused($$"""[{"type":"audit","data":{{Nested(32, "[]")}}}]""", "[0].data", "deeper than 32");
    }

    [TestMethod]
    public void DataDeeperThanTheParserAllowsIsABodyError()
    {
        var errors = Emit($$"""{"type":"audit","data":{{Nested(64)}}}""");
        StringAssert.Contains(errors["(body)"][0], "depth");
    }

    [TestMethod]
    [DataRow("0001-01-01T00:00:00Z")]
    [DataRow("0001-01-01T00:59:59-01:00")]
    [DataRow("9999-12-31T23:59:59.9999999Z")]
    [DataRow("9999-12-31T23:59:59+14:00")]
    [DataRow("2026-01-15T10:00:00.123456+05:30")]
    public void TimestampsWithinYears1To9999InUtcAreAccepted(string timestamp) =>
        Accepted($$"""{"type":"audit","timestamp":"{{timestamp}}"}""");

    [TestMethod]
    [DataRow("0001-01-01T00:00:00+01:00")]
    [DataRow("9999-12-31T23:59:59-14:00")]
    [DataRow("2026-01-01T00:00:00+15:00")]
    [DataRow("2026-01-01T24:00:00Z")]
    [DataRow("2026-01-01T00:00:00Z\\u0000")]
    [DataRow("2026-01-01T00:00:00\\ud800Z")]
    public void TimestampsOutsideTheRangeOrMalformedAreRefused(string timestamp) =>
        Refused($$"""{"type":"audit","timestamp":"{{timestamp}}"}""", "timestamp", "ISO-8601");

    [TestMethod]
    public void EdgeTimestampsKeepTheirMicroseconds()
    {
        var events = Validator().Validate(
            [new EventDraft("audit", Timestamp: DateTimeOffset.MinValue), new EventDraft("audit", Timestamp: DateTimeOffset.MaxValue),
             new EventDraft("audit", Timestamp: new DateTimeOffset(1, 1, 1, 0, 59, 59, TimeSpan.FromHours(-1)))],
            true, out var rejection);

        Assert.IsNull(rejection);
        Assert.AreEqual(DateTimeOffset.MinValue, events[0].Timestamp);
        Assert.AreEqual(DateTimeOffset.MaxValue.AddTicks(-9), events[1].Timestamp);
        Assert.AreEqual(TimeSpan.Zero, events[2].Timestamp.Offset);
        Assert.AreEqual(new DateTimeOffset(1, 1, 1, 1, 59, 59, TimeSpan.Zero), events[2].Timestamp);
    }

    [TestMethod]
    [DataRow("22P05", 400)] // \u0000 in jsonb
    [DataRow("22P02", 400)] // unpaired surrogate in jsonb
    [DataRow("22021", 400)] // NUL in text
    [DataRow("22003", 400)] // numeric overflow
    [DataRow("54000", 400)] // program limit, e.g. an index row too large
    [DataRow("08006", 503)]
    [DataRow("53300", 503)] // too many connections
    [DataRow("57P01", 503)] // shutting down
    [DataRow("57014", 503)] // statement timeout
    [DataRow("40P01", 503)] // deadlock: a retry succeeds
    [DataRow("42P01", 500)] // undefined table: our bug, neither the client's nor a passing outage
    public void OnlyUnavailabilityIsA503AndARefusedValueIsA400(string sqlState, int status)
    {
        var exception = new PostgresException("message", "ERROR", "ERROR", sqlState);
        var answered = ClientInputExceptionHandler.Describe(exception)?.Status
            ?? (DatabaseFailures.IsUnavailable(exception) ? 503 : 500);
        Assert.AreEqual(status, answered);
    }

    [TestMethod]
    public void KestrelsBadRequestsKeepTheirStatus()
    {
        Assert.AreEqual(413, ClientInputExceptionHandler.Describe(new Microsoft.AspNetCore.Http.BadHttpRequestException("too big", 413))?.Status);
        Assert.IsNull(ClientInputExceptionHandler.Describe(new InvalidOperationException()));
        Assert.IsTrue(DatabaseFailures.IsUnavailable(new NpgsqlException("connection refused")));
    }
}
