#:property ManagePackageVersionsCentrally=false
#:package Azure.Storage.Blobs@12.30.1
// Verifies Kavach's tamper-evident log from outside the server: reads the events and the signed checkpoints over the
// HTTP API, recomputes the hash chain (docs/integrity.md) and checks every checkpoint's signature with public keys
// you trust — not with what the server says. Needs only a token that reads every event.
//
//   dotnet run scripts/verify-chain.cs -- --api http://localhost:5080 --token "$TOKEN" --key checkpoint-public.pem
//       [--key older-key.pem] [--from 1] [--to 5000]
//       [--witness-url <container URL with a SAS> | --witness-connection-string <cs> [--witness-container kavach-witness]
//        | --witness-file <path>] [--witness-grace <seconds>]
//
// With a witness (docs/integrity.md, "The witness"), the checkpoints the API serves are first compared with the witness,
// read directly: a contradiction, a witnessed checkpoint the API no longer serves, or a witness record no trusted key
// signed is a break (1); a served checkpoint the witness lacks after the grace period (60 s) exits 4.
//
// Exit code: 0 the chain verified up to a signed checkpoint, 1 it broke (the first break is printed), 2 usage or
// network errors, 3 the chain holds but no checkpoint signed by a trusted key covers it, 4 the witness lacks checkpoints.
using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

var (witness, chainArgs) = WitnessAudit.Settings.Extract(args);
var options = Options.Parse(chainArgs);
if (options is null || witness is { Valid: false })
{
    Console.Error.WriteLine("usage: dotnet run scripts/verify-chain.cs -- --api <url> --token <token> --key <public.pem> [--key …] [--from N] [--to N] " +
        "[--witness-url <url> | --witness-connection-string <cs> [--witness-container <name>] | --witness-file <path>] [--witness-grace <seconds>]");
    return 2;
}

using var http = new HttpClient { BaseAddress = new Uri(options.Api), Timeout = TimeSpan.FromMinutes(2) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);

var trusted = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
foreach (var path in options.Keys)
{
    var key = ECDsa.Create();
    key.ImportFromPem(File.ReadAllText(path));
    trusted[Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()).AsSpan(0, 16))] = key;
}

if (witness is not null && await WitnessAudit.RunAsync(witness, http, trusted, options.From, options.To) is var witnessCode and not 0)
{
    return witnessCode;
}

try
{
    // Checkpoints and epochs.
    var checkpoints = new Dictionary<(long Epoch, long Sequence), JsonElement>();
    var epochs = new List<(long Epoch, long ChainStartsAfter)>();
    string? streamId = null;
    for (var after = 0L; ;)
    {
        using var page = JsonDocument.Parse(await GetAsync($"/api/kavach/events/checkpoints?after={after}&limit=1000"));
        streamId = page.RootElement.GetProperty("streamId").GetString();
        // An event is hashed in the latest epoch whose hashing began before it (chainStartsAfter: the last sequence
        // committed when the epoch began); a server from before chainStartsAfter lists only startsAfter.
        epochs = [.. page.RootElement.GetProperty("epochs").EnumerateArray()
            .Select(e => (e.GetProperty("epoch").GetInt64(),
                (e.TryGetProperty("chainStartsAfter", out var chain) ? chain : e.GetProperty("startsAfter")).GetInt64()))];
        var listed = page.RootElement.GetProperty("checkpoints").EnumerateArray().Select(c => c.Clone()).ToList();
        foreach (var checkpoint in listed)
        {
            checkpoints[(checkpoint.GetProperty("epoch").GetInt64(), checkpoint.GetProperty("sequence").GetInt64())] = checkpoint;
        }

        if (listed.Count < 1000)
        {
            break;
        }

        after = listed[^1].GetProperty("sequence").GetInt64();
    }

    long EpochOf(long sequence) => epochs.Where(e => e.ChainStartsAfter < sequence).Select(e => e.Epoch).DefaultIfEmpty(1).Max();

    // The events, in order, each checked against the one before.
    byte[]? previous = null;
    long? expected = null;
    long verified = 0, firstVerified = 0;
    (long Sequence, string SignedAt)? signedThrough = null;
    for (var after = Math.Max(0, options.From - 2); ;)
    {
        using var page = JsonDocument.Parse(await GetAsync($"/api/kavach/events?after={after}&limit=1000"));
        var events = page.RootElement.GetProperty("events");
        foreach (var e in events.EnumerateArray())
        {
            var sequence = e.GetProperty("sequence").GetInt64();
            after = sequence;
            if (sequence > options.To)
            {
                break;
            }

            if (!e.TryGetProperty("hash", out var hashValue))
            {
                if (previous is not null)
                {
                    return Broken(sequence, "inserted", "an event without a hash after the chain began");
                }

                continue; // stored before the chain began
            }

            var hash = Convert.FromHexString(hashValue.GetString()!);
            if (sequence < options.From || (previous is null && sequence > 1))
            {
                // The hash just before the range (or the first one kept, when retention removed what came before):
                // taken as the starting point here, and confirmed by the signed checkpoints after it.
                previous = hash;
                expected = sequence + 1;
                continue;
            }

            if (expected is { } next && sequence != next)
            {
                return Broken(next, "missing", $"events {next}–{sequence - 1} are not served");
            }

            previous ??= new byte[32];
            var raw = e.GetRawText();
            var served = raw[..raw.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal)] + "}";
            var epoch = EpochOf(sequence);
            var computed = Link(previous, epoch, Encoding.UTF8.GetBytes(served));
            if (!computed.AsSpan().SequenceEqual(hash))
            {
                return Broken(sequence, "altered", "its hash does not follow from the previous hash and its content");
            }

            if (checkpoints.TryGetValue((epoch, sequence), out var checkpoint))
            {
                var keyId = checkpoint.GetProperty("keyId").GetString()!;
                if (!trusted.TryGetValue(keyId, out var key))
                {
                    Console.WriteLine($"  checkpoint #{sequence} is signed by key {keyId}, which you did not pass with --key: not counted");
                }
                else if (!key.VerifyData(Payload(streamId!, epoch, sequence, checkpoint), Convert.FromBase64String(checkpoint.GetProperty("signature").GetString()!), HashAlgorithmName.SHA256))
                {
                    return Broken(sequence, "altered", $"the checkpoint's signature does not verify with key {keyId}");
                }
                else if (!Convert.FromHexString(checkpoint.GetProperty("hash").GetString()!).AsSpan().SequenceEqual(computed))
                {
                    return Broken(sequence, "altered", $"the chain differs from the checkpoint signed at {checkpoint.GetProperty("signedAt").GetString()}: events at or before it were changed and their hashes rewritten");
                }
                else
                {
                    signedThrough = (sequence, checkpoint.GetProperty("signedAt").GetString()!);
                }
            }

            if (verified++ == 0)
            {
                firstVerified = sequence;
            }

            previous = computed;
            expected = sequence + 1;
        }

        if (events.GetArrayLength() < 1000 || after >= options.To)
        {
            break;
        }
    }

    if (verified == 0)
    {
        Console.WriteLine("No chained events in the range.");
        return 3;
    }

    Console.WriteLine($"Chain verified: {verified} events, #{firstVerified}–#{expected - 1}.");
    if (signedThrough is { } signed)
    {
        Console.WriteLine($"Signed: a trusted checkpoint at #{signed.Sequence} ({signed.SignedAt}) matches; events after it are chained but not signed yet.");
        return 0;
    }

    Console.WriteLine("No checkpoint signed by a trusted key covers the range: the chain is consistent, but nothing proves it is the one the server committed.");
    return 3;
}
catch (HttpRequestException e)
{
    Console.Error.WriteLine($"Could not read the API: {e.Message}");
    return 2;
}

async Task<string> GetAsync(string path)
{
    using var response = await http.GetAsync(path);
    var body = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new HttpRequestException($"{(int)response.StatusCode} from {path}: {body}");
    }

    return body;
}

static int Broken(long sequence, string kind, string detail)
{
    Console.WriteLine($"Chain broken at #{sequence}: {kind} — {detail}.");
    return 1;
}

static byte[] Link(byte[] previous, long epoch, byte[] served)
{
    var input = new byte[72];
    previous.CopyTo(input, 0);
    BinaryPrimitives.WriteInt64BigEndian(input.AsSpan(32), epoch);
    SHA256.HashData(served).CopyTo(input, 40);
    return SHA256.HashData(input);
}

static byte[] Payload(string streamId, long epoch, long sequence, JsonElement checkpoint) =>
    Encoding.UTF8.GetBytes(string.Join('\n', "kavach-checkpoint/v1", streamId, epoch, sequence,
        checkpoint.GetProperty("hash").GetString(), checkpoint.GetProperty("signedAt").GetString()));

sealed record Options(string Api, string Token, List<string> Keys, long From, long To)
{
    public static Options? Parse(string[] args)
    {
        string? api = null, token = null;
        var keys = new List<string>();
        long from = 1, to = long.MaxValue;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--api": api = args[i + 1]; break;
                case "--token": token = args[i + 1]; break;
                case "--key": keys.Add(args[i + 1]); break;
                case "--from" when long.TryParse(args[i + 1], out var f) && f >= 1: from = f; break;
                case "--to" when long.TryParse(args[i + 1], out var t) && t >= 1: to = t; break;
                default: return null;
            }
        }

        return api is null || token is null || keys.Count == 0 || args.Length % 2 != 0 ? null : new Options(api, token, keys, from, to);
    }
}

/// <summary>
/// The checkpoints the API serves against the witness, read directly (Blob Storage or Azurite, or the file witness):
/// independent of the server's own comparison, and with the witness records' signatures checked with your keys.
/// </summary>
static class WitnessAudit
{
    public sealed record Settings(string? Url, string? ConnectionString, string Container, string? File, TimeSpan Grace)
    {
        public bool Valid => new[] { Url, ConnectionString, File }.Count(s => s is not null) == 1 && Grace >= TimeSpan.Zero;

        /// <summary>The witness options and the other arguments; no witness options: null.</summary>
        public static (Settings? Witness, string[] Others) Extract(string[] args)
        {
            string? url = null, connectionString = null, file = null, container = null, grace = null;
            var given = false;
            var rest = new List<string>();
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : null;
                switch (args[i])
                {
                    case "--witness-url": url = value; i++; break;
                    case "--witness-connection-string": connectionString = value; i++; break;
                    case "--witness-container": container = value; i++; break;
                    case "--witness-file": file = value; i++; break;
                    case "--witness-grace": grace = value; i++; break;
                    default: rest.Add(args[i]); continue;
                }

                given = true;
            }

            if (!given)
            {
                return (null, [.. rest]);
            }

            var seconds = grace is null ? 60 : double.TryParse(grace, System.Globalization.CultureInfo.InvariantCulture, out var g) ? g : -1;
            return (new Settings(url, connectionString, container ?? "kavach-witness", file, TimeSpan.FromSeconds(seconds)), [.. rest]);
        }
    }

    private sealed record Record(long Epoch, long Sequence, JsonElement Json);

    public static async Task<int> RunAsync(Settings settings, HttpClient api, IReadOnlyDictionary<string, ECDsa> trusted, long from, long to)
    {
        try
        {
            var (streamId, served, epochs) = await ServedAsync(api, from, to);
            var witnessed = (await WitnessedAsync(settings, streamId, from, to)).OrderBy(r => r.Epoch).ThenBy(r => r.Sequence).ToList();
            return Compare(settings, served, witnessed, epochs, trusted, from, to);
        }
        catch (Exception e) when (e is HttpRequestException or Azure.RequestFailedException or IOException or JsonException or UriFormatException or FormatException)
        {
            Console.Error.WriteLine($"Could not compare the witness: {e.Message}");
            return 2;
        }
    }

    private static int Compare(Settings settings, Dictionary<(long, long), JsonElement> served, List<Record> witnessed,
        List<(long Epoch, long StartsAfter)> epochs, IReadOnlyDictionary<string, ECDsa> trusted, long from, long to)
    {
        var broken = new List<string>();
        var missing = new List<string>();
        var abandoned = 0;
        foreach (var records in witnessed.GroupBy(r => (r.Epoch, r.Sequence)))
        {
            var (epoch, sequence) = records.Key;
            if (records.FirstOrDefault(r => !Signed(r, trusted)) is { } forged)
            {
                broken.Add($"{epoch}:{sequence}: the witness holds a record no key you trust signed (key {forged.Json.GetProperty("keyId").GetString()})");
            }
            else if (served.TryGetValue(records.Key, out var checkpoint))
            {
                if (records.Any(r => !Same(r.Json, checkpoint)))
                {
                    broken.Add($"{epoch}:{sequence}: the witness contradicts the checkpoint the API serves (signed at {checkpoint.GetProperty("signedAt").GetString()}, hash {checkpoint.GetProperty("hash").GetString()})");
                }
            }
            else if (records.Any(r => !Same(r.Json, records.First().Json)))
            {
                broken.Add($"{epoch}:{sequence}: the witness holds different records at one place (written over)");
            }
            else if (epochs.Any(e => e.Epoch > epoch && e.StartsAfter < sequence))
            {
                abandoned++;
            }
            else
            {
                broken.Add($"{epoch}:{sequence}: witnessed (signed at {records.First().Json.GetProperty("signedAt").GetString()}), but the API no longer serves it: deleted from the database");
            }
        }

        var recorded = witnessed.Select(r => (r.Epoch, r.Sequence)).ToHashSet();
        var firstWitnessed = witnessed.Count == 0 ? (DateTimeOffset?)null : witnessed.Min(r => SignedAt(r.Json));
        var beforeWitness = 0;
        foreach (var ((epoch, sequence), checkpoint) in served.Where(c => !recorded.Contains(c.Key)))
        {
            var signedAt = SignedAt(checkpoint);
            if (signedAt < firstWitnessed)
            {
                beforeWitness++;
            }
            else if (DateTimeOffset.UtcNow - signedAt >= settings.Grace)
            {
                missing.Add($"{epoch}:{sequence}: served (signed at {checkpoint.GetProperty("signedAt").GetString()}) but not in the witness");
            }
        }

        Console.WriteLine($"Witness: {served.Count} served checkpoints in #{from}–#{(to == long.MaxValue ? "head" : to.ToString(System.Globalization.CultureInfo.InvariantCulture))} " +
            $"compared with {witnessed.Count} witness records: {broken.Count} broken, {missing.Count} missing from the witness, " +
            $"{abandoned} of histories a restore left behind, {beforeWitness} signed before the witness began.");
        foreach (var line in broken.Concat(missing))
        {
            Console.WriteLine($"  {line}");
        }

        if (broken.Count > 0)
        {
            Console.WriteLine($"Witness broken at {broken[0][..broken[0].IndexOf(": ", StringComparison.Ordinal)]}: the checkpoints in the database are not the ones witnessed.");
            return 1;
        }

        return missing.Count > 0 ? 4 : 0;
    }

    /// <summary>The checkpoints the API lists in [from, to], the stream id and the epochs' starts.</summary>
    private static async Task<(string StreamId, Dictionary<(long, long), JsonElement> Served, List<(long, long)> Epochs)> ServedAsync(HttpClient api, long from, long to)
    {
        var served = new Dictionary<(long, long), JsonElement>();
        string streamId = "";
        List<(long, long)> epochs = [];
        for (var after = Math.Max(0, from - 1); ;)
        {
            using var response = await api.GetAsync($"/api/kavach/events/checkpoints?after={after}&limit=1000");
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"{(int)response.StatusCode} from /api/kavach/events/checkpoints: {body}");
            }

            using var page = JsonDocument.Parse(body);
            streamId = page.RootElement.GetProperty("streamId").GetString()!;
            epochs = [.. page.RootElement.GetProperty("epochs").EnumerateArray().Select(e => (e.GetProperty("epoch").GetInt64(), e.GetProperty("startsAfter").GetInt64()))];
            var listed = page.RootElement.GetProperty("checkpoints").EnumerateArray().Select(c => c.Clone()).ToList();
            foreach (var checkpoint in listed.Where(c => c.GetProperty("sequence").GetInt64() <= to))
            {
                served[(checkpoint.GetProperty("epoch").GetInt64(), checkpoint.GetProperty("sequence").GetInt64())] = checkpoint;
            }

            if (listed.Count < 1000 || listed[^1].GetProperty("sequence").GetInt64() >= to)
            {
                return (streamId, served, epochs);
            }

            after = listed[^1].GetProperty("sequence").GetInt64();
        }
    }

    /// <summary>Every record the witness holds for the stream in [from, to], every version of every blob.</summary>
    private static async Task<List<Record>> WitnessedAsync(Settings settings, string streamId, long from, long to)
    {
        var records = new List<Record>();
        void Add(BinaryData content, long? epochFromName, long? sequenceFromName)
        {
            var json = JsonDocument.Parse(content.ToMemory()).RootElement.Clone();
            var (epoch, sequence) = (json.GetProperty("epoch").GetInt64(), json.GetProperty("sequence").GetInt64());
            if (json.GetProperty("streamId").GetString() != streamId || (epochFromName ?? epoch) != epoch || (sequenceFromName ?? sequence) != sequence)
            {
                throw new FormatException($"A witness record at {epochFromName}:{sequenceFromName} names another place: {json.GetRawText()}");
            }

            if (sequence >= from && sequence <= to)
            {
                records.Add(new Record(epoch, sequence, json));
            }
        }

        if (settings.File is { } file)
        {
            foreach (var line in System.IO.File.ReadAllLines(file).Where(l => l.Length > 0 && l.Contains($"\"streamId\":\"{streamId}\"", StringComparison.Ordinal)))
            {
                Add(BinaryData.FromString(line), null, null);
            }

            return records;
        }

        var container = settings.Url is { } url
            ? new Azure.Storage.Blobs.BlobContainerClient(new Uri(url))
            : new Azure.Storage.Blobs.BlobContainerClient(settings.ConnectionString, settings.Container);
        var options = new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = streamId + "/", States = Azure.Storage.Blobs.Models.BlobStates.Version };
        await foreach (var item in container.GetBlobsAsync(options))
        {
            // {streamId}/{epoch:D19}/{sequence / 10^6:D13}/{sequence:D19}.json
            var parts = item.Name.Split('/');
            if (parts.Length != 4 || !long.TryParse(parts[1], out var epoch) || !long.TryParse(parts[3].Replace(".json", "", StringComparison.Ordinal), out var sequence))
            {
                continue;
            }

            if (sequence < from || sequence > to)
            {
                continue;
            }

            var blob = container.GetBlobClient(item.Name);
            var content = (await (item.VersionId is { } version ? blob.WithVersion(version) : blob).DownloadContentAsync()).Value.Content;
            Add(content, epoch, sequence);
        }

        return records;
    }

    private static bool Same(JsonElement a, JsonElement b) =>
        new[] { "streamId", "epoch", "sequence", "hash", "signedAt", "keyId", "signature", "treeSize", "treeRoot", "previousEpoch", "previousSequence", "previousDigest" }
            .All(name => (a.TryGetProperty(name, out var x) ? x.GetRawText() : null) == (b.TryGetProperty(name, out var y) ? y.GetRawText() : null));

    private static DateTimeOffset SignedAt(JsonElement checkpoint) =>
        DateTimeOffset.Parse(checkpoint.GetProperty("signedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The record's signature verifies with a trusted key over its payload (docs/integrity.md, v1 and v2).</summary>
    private static bool Signed(Record record, IReadOnlyDictionary<string, ECDsa> trusted)
    {
        var c = record.Json;
        if (!trusted.TryGetValue(c.GetProperty("keyId").GetString() ?? "", out var key))
        {
            return false;
        }

        string Text(string name) => c.GetProperty(name).ValueKind == JsonValueKind.Number ? c.GetProperty(name).GetRawText() : c.GetProperty(name).GetString()!;
        var v2 = c.TryGetProperty("version", out var version) && version.GetInt32() >= 2;
        var lines = v2
            ? new[] { "kavach-checkpoint/v2", Text("streamId"), Text("epoch"), Text("sequence"), Text("hash"), Text("treeSize"), Text("treeRoot"),
                Text("previousEpoch"), Text("previousSequence"), Text("previousDigest"), Text("signedAt") }
            : new[] { "kavach-checkpoint/v1", Text("streamId"), Text("epoch"), Text("sequence"), Text("hash"), Text("signedAt") };
        return key.VerifyData(Encoding.UTF8.GetBytes(string.Join('\n', lines)), Convert.FromBase64String(Text("signature")), HashAlgorithmName.SHA256);
    }
}
