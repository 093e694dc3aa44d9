#:property ManagePackageVersionsCentrally=false
#:package Azure.Storage.Blobs@12.30.1
// Verifies Kavach's tamper-evident log from outside the server: reads the events and the signed checkpoints over the
// HTTP API, recomputes the hash chain (docs/integrity.md) and checks every checkpoint's signature with public keys
// you trust — not with what the server says. Needs only a token that reads every event.
//
//   dotnet run scripts/verify-chain.cs -- --api http://localhost:5080 --token "$TOKEN" --key checkpoint-public.pem
//       [--key older-key.pem] [--trust saved-checkpoint.json] [--retention 7.00:00:00] [--from 1] [--to 5000]
//       [--witness-url <container URL with a SAS> | --witness-connection-string <cs> [--witness-container kavach-witness]
//        | --witness-file <path>] [--witness-grace <seconds>]
//
// It trusts nothing the server serves until a signature says so: the walk starts at a checkpoint signed with one of
// your keys — the one you saved earlier (--trust, a checkpoint as the API lists it), or else the oldest signed one the
// server lists in the range — and every event after it must follow from its hash. Events before that start are not
// verified; an event without a hash after it is a break. A saved checkpoint whose events are no longer served is a
// deletion unless it is older than the retention period (--retention, the server's Kavach:Stream:Retention, 7 days).
//
// With a witness (docs/integrity.md, "The witness"), the checkpoints the API serves are first compared with the witness,
// read directly: a contradiction, a witnessed checkpoint the API no longer serves, or a witness record no trusted key
// signed is a break (1); a served checkpoint the witness lacks after the grace period (60 s) exits 4.
//
// Exit code: 0 the chain verified from a trusted checkpoint up to a signed one, 1 it broke (the first break is printed),
// 2 usage or network errors, 3 nothing signed by a trusted key to start from or to end at, 4 the witness lacks checkpoints.
//
// With the Merkle tree (docs/integrity.md, "The Merkle tree"), without reading the events — O(log n) hashes:
//
//   dotnet run scripts/verify-chain.cs -- --api <url> --token <token> --key <public.pem> --extends saved-checkpoint.json [--save newest.json]
//       proves that today's log extends a checkpoint you saved earlier (the JSON of GET /api/kavach/events/checkpoints/newest):
//       checks the newest checkpoint's signature with your keys, then the consistency proof from your tree head to it.
//   dotnet run scripts/verify-chain.cs -- --api <url> --token <token> --key <public.pem> --include <sequence> [--extends saved.json] [--save newest.json]
//       proves that the event at that sequence, as the API serves it, is in the newest signed tree.
//
// Exit code: 0 proven; 1 not proven — the log does not extend your checkpoint (rewritten, or its history replaced), the
// event is not the one in the signed tree, a proof does not verify, or a checkpoint's signature is wrong; 2 usage or
// network errors, or a saved checkpoint that is not signed by one of your keys; 3 nothing to prove against yet (the
// newest checkpoint has no tree head, is signed by a key you did not pass, or does not cover the event).
using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

if (TreeAudit.Wants(args))
{
    return await TreeAudit.RunAsync(args);
}

var (witness, chainArgs) = WitnessAudit.Settings.Extract(args);
var options = Options.Parse(chainArgs);
if (options is null || witness is { Valid: false })
{
    Console.Error.WriteLine("usage: dotnet run scripts/verify-chain.cs -- --api <url> --token <token> --key <public.pem> [--key …] [--trust saved-checkpoint.json] [--from N] [--to N] " +
        "[--witness-url <url> | --witness-connection-string <cs> [--witness-container <name>] | --witness-file <path>] [--witness-grace <seconds>]");
    return 2;
}

using var http = new HttpClient { BaseAddress = new Uri(options.Api), Timeout = TimeSpan.FromMinutes(2) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);

var trusted = PinnedKeys.Load(options.Keys);

if (witness is not null && await WitnessAudit.RunAsync(witness, http, trusted, options.From, options.To) is var witnessCode and not 0)
{
    return witnessCode;
}

try
{
    // Checkpoints and epochs.
    var checkpoints = new Dictionary<(long Epoch, long Sequence), JsonElement>();
    var epochs = new List<(long Epoch, long ChainStartsAfter)>();
    var epochStarts = new List<(long Epoch, long StartsAfter)>();
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
        epochStarts = [.. page.RootElement.GetProperty("epochs").EnumerateArray()
            .Select(e => (e.GetProperty("epoch").GetInt64(), e.GetProperty("startsAfter").GetInt64()))];
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

    // Where trust starts: the checkpoint you saved (--trust), else the newest one signed with your keys at or before the
    // range, else the chain's own start (the zero hash before event #1, when #1 is still served), else the oldest signed
    // checkpoint. Each must be about the current history, and its event still served.
    var signedCheckpoints = checkpoints.Values.Where(c => IsCurrent(c) && Verifies(c)).OrderBy(c => c.GetProperty("sequence").GetInt64()).ToList();
    JsonElement? start = null;
    if (options.Trust is { } saved)
    {
        var pinned = JsonDocument.Parse(File.ReadAllText(saved)).RootElement.Clone();
        if (!Verifies(pinned))
        {
            Console.WriteLine($"The saved checkpoint ({options.Trust}) does not verify with the keys you passed.");
            return 3;
        }

        if (await ServedAsync(pinned.GetProperty("sequence").GetInt64()))
        {
            start = pinned;
        }
        else
        {
            // Its event is gone: by retention only if the checkpoint is older than the retention period.
            var age = DateTimeOffset.UtcNow - DateTimeOffset.Parse(pinned.GetProperty("signedAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            if (age < options.Retention)
            {
                return Broken(pinned.GetProperty("sequence").GetInt64(), "missing",
                    $"the event at the saved checkpoint is no longer served although it was signed {age.TotalHours:0.#} h ago, within the retention period ({options.Retention}): events were deleted");
            }

            Console.WriteLine($"The saved checkpoint's events were pruned by retention (it is {age.TotalDays:0.#} days old).");
        }
    }

    foreach (var candidate in signedCheckpoints.Where(c => c.GetProperty("sequence").GetInt64() <= options.From - 1).Reverse())
    {
        if (start is not null)
        {
            break;
        }

        if (await ServedAsync(candidate.GetProperty("sequence").GetInt64()))
        {
            start = candidate;
        }
    }

    var fromGenesis = start is null && await ServedAsync(1);
    if (start is null && !fromGenesis)
    {
        foreach (var candidate in signedCheckpoints)
        {
            if (await ServedAsync(candidate.GetProperty("sequence").GetInt64()))
            {
                start = candidate;
                Console.WriteLine($"Events before #{candidate.GetProperty("sequence").GetInt64()} are not served (retention): they are not verified.");
                break;
            }
        }
    }

    if (start is null && !fromGenesis)
    {
        Console.WriteLine("No checkpoint signed by a trusted key to start from: nothing here can be verified without trusting the server.");
        return 3;
    }

    var startSequence = start?.GetProperty("sequence").GetInt64() ?? 0;
    byte[] previous = start is { } trustedStart ? Convert.FromHexString(trustedStart.GetProperty("hash").GetString()!) : new byte[32];
    Console.WriteLine(start is { } from
        ? $"Starting from the checkpoint at #{startSequence} signed at {from.GetProperty("signedAt").GetString()} (key {from.GetProperty("keyId").GetString()})."
        : "Starting from the chain's start: the zero hash before event #1.");

    // The events after it, in order, each checked against the one before; the event at the start must carry its hash.
    long expected = startSequence + 1;
    long verified = 0;
    (long Sequence, string SignedAt)? signedThrough = start is { } signedStart ? (startSequence, signedStart.GetProperty("signedAt").GetString()!) : null;
    var legacy = fromGenesis; // events stored before the chain began: a prefix from #1 without hashes, before the first chained one
    for (var after = Math.Max(0, startSequence - 1); ;)
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

            var hash = e.TryGetProperty("hash", out var hashValue) ? Convert.FromHexString(hashValue.GetString()!) : null;
            if (sequence == startSequence)
            {
                if (hash is null || !hash.AsSpan().SequenceEqual(previous))
                {
                    return Broken(sequence, "altered", "the event at the trusted checkpoint does not carry the hash it signed");
                }

                continue;
            }

            if (sequence != expected)
            {
                return expected == startSequence + 1 && sequence > startSequence
                    ? Broken(startSequence, "missing", "the event at the trusted checkpoint is not served (retention, or deleted): start from a later checkpoint")
                    : Broken(expected, "missing", $"events {expected}–{sequence - 1} are not served");
            }

            if (hash is null)
            {
                if (legacy)
                {
                    expected = sequence + 1; // stored before the chain began: the first chained event must then follow from the zero hash
                    continue;
                }

                return Broken(sequence, "inserted", "an event without a hash after the chain began");
            }

            legacy = false;

            var raw = e.GetRawText();
            var served = raw[..raw.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal)] + "}";
            var computed = Link(previous, EpochOf(sequence), Encoding.UTF8.GetBytes(served));
            if (!computed.AsSpan().SequenceEqual(hash))
            {
                return Broken(sequence, "altered", "its hash does not follow from the previous hash and its content");
            }

            foreach (var checkpoint in checkpoints.Values.Where(c => c.GetProperty("sequence").GetInt64() == sequence && IsCurrent(c)))
            {
                var keyId = checkpoint.GetProperty("keyId").GetString()!;
                if (!trusted.ContainsKey(keyId))
                {
                    Console.WriteLine($"  checkpoint #{sequence} is signed by key {keyId}, which you did not pass with --key: not counted");
                }
                else if (!Verifies(checkpoint))
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

            verified++;
            previous = computed;
            expected = sequence + 1;
        }

        if (events.GetArrayLength() < 1000 || after >= options.To)
        {
            break;
        }
    }

    if (expected == startSequence + 1 && verified == 0 && startSequence > 0)
    {
        Console.WriteLine($"No events after the trusted checkpoint at #{startSequence} in the range.");
    }

    bool Verifies(JsonElement checkpoint) =>
        trusted.TryGetValue(checkpoint.GetProperty("keyId").GetString()!, out var key)
        && key.VerifyData(Payload(streamId!, checkpoint), Convert.FromBase64String(checkpoint.GetProperty("signature").GetString()!), HashAlgorithmName.SHA256);

    // A checkpoint a later epoch's restore went back past signed another history.
    bool IsCurrent(JsonElement checkpoint) =>
        !epochStarts.Any(e => e.Epoch > checkpoint.GetProperty("epoch").GetInt64() && e.StartsAfter < checkpoint.GetProperty("sequence").GetInt64());

    Console.WriteLine($"Chain verified: {verified} events, #{startSequence + 1}–#{expected - 1}.");
    if (signedThrough is not { } signed)
    {
        Console.WriteLine("No checkpoint signed by a trusted key covers it: the chain is consistent, but nothing proves it is the one the server committed.");
        return 3;
    }

    Console.WriteLine($"Signed through #{signed.Sequence} ({signed.SignedAt}); events after it are chained but not signed yet.");
    return 0;
}
catch (HttpRequestException e)
{
    Console.Error.WriteLine($"Could not read the API: {e.Message}");
    return 2;
}

async Task<bool> ServedAsync(long sequence)
{
    using var page = JsonDocument.Parse(await GetAsync($"/api/kavach/events?after={sequence - 1}&limit=1"));
    return page.RootElement.GetProperty("events").EnumerateArray().Any(e => e.GetProperty("sequence").GetInt64() == sequence);
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

// What a checkpoint signs (docs/integrity.md, "Checkpoints"): version 1, or version 2 with the tree head and the previous checkpoint.
static byte[] Payload(string streamId, JsonElement c)
{
    string Field(string name) => c.GetProperty(name).ToString();
    var version = c.TryGetProperty("version", out var v) ? v.GetInt32() : 1;
    return Encoding.UTF8.GetBytes(version < 2
        ? string.Join('\n', "kavach-checkpoint/v1", streamId, Field("epoch"), Field("sequence"), Field("hash"), Field("signedAt"))
        : string.Join('\n', "kavach-checkpoint/v2", streamId, Field("epoch"), Field("sequence"), Field("hash"), Field("treeSize"),
            Field("treeRoot"), Field("previousEpoch"), Field("previousSequence"), Field("previousDigest"), Field("signedAt")));
}

sealed record Options(string Api, string Token, List<string> Keys, long From, long To, string? Trust, TimeSpan Retention)
{
    public static Options? Parse(string[] args)
    {
        string? api = null, token = null, trust = null;
        var keys = new List<string>();
        long from = 1, to = long.MaxValue;
        var retention = TimeSpan.FromDays(7);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--api": api = args[i + 1]; break;
                case "--token": token = args[i + 1]; break;
                case "--key": keys.Add(args[i + 1]); break;
                case "--trust": trust = args[i + 1]; break;
                case "--retention" when TimeSpan.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out var r): retention = r; break;
                case "--from" when long.TryParse(args[i + 1], out var f) && f >= 1: from = f; break;
                case "--to" when long.TryParse(args[i + 1], out var t) && t >= 1: to = t; break;
                default: return null;
            }
        }

        return api is null || token is null || keys.Count == 0 || args.Length % 2 != 0 ? null : new Options(api, token, keys, from, to, trust, retention);
    }
}

/// <summary>The public keys passed with --key, by key id (the first 16 bytes of SHA-256 of the SubjectPublicKeyInfo, hex).</summary>
static class PinnedKeys
{
    public static Dictionary<string, ECDsa> Load(IEnumerable<string> paths)
    {
        var trusted = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(path));
            trusted[Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()).AsSpan(0, 16))] = key;
        }

        return trusted;
    }
}

/// <summary>
/// Proofs from the Merkle tree (docs/integrity.md, "The Merkle tree"): that the log today extends a checkpoint saved
/// earlier (--extends), and that an event is in the newest signed tree (--include) — from signed tree heads and a few
/// dozen hashes, never the events of the range. Trusts only the keys passed with --key.
/// </summary>
static class TreeAudit
{
    public static bool Wants(string[] args) => args.Contains("--extends") || args.Contains("--include");

    public static async Task<int> RunAsync(string[] args)
    {
        if (AuditOptions.Parse(args) is not { } options)
        {
            Console.Error.WriteLine("usage: dotnet run scripts/verify-chain.cs -- --api <url> --token <token> --key <public.pem> [--key …] " +
                "[--extends <saved checkpoint.json>] [--include <sequence>] [--save <newest checkpoint.json>]");
            return 2;
        }

        var keys = PinnedKeys.Load(options.Keys);
        using var http = new HttpClient { BaseAddress = new Uri(options.Api), Timeout = TimeSpan.FromMinutes(1) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        try
        {
            var (newestText, status) = await GetAsync(http, "/api/kavach/events/checkpoints/newest");
            if (status != 200)
            {
                return Fail(status == 404 ? 3 : 2, $"No newest checkpoint ({status}): {newestText}");
            }

            var newest = SignedHead.Parse(newestText);
            if (newest.TreeSize is null)
            {
                return Fail(3, $"The newest checkpoint (#{newest.Sequence}) has no tree head: it is version 1, signed by a server without the Merkle tree.");
            }

            var trusted = newest.Verify(keys);
            if (trusted != 0)
            {
                return Fail(trusted, $"The newest checkpoint (#{newest.Sequence}, tree of {newest.TreeSize}) " +
                    (trusted == 3 ? $"is signed by key {newest.KeyId}, which you did not pass with --key." : $"does not verify with key {newest.KeyId}: it is forged."));
            }

            Console.WriteLine($"Newest checkpoint: #{newest.Sequence} in epoch {newest.Epoch}, tree of {newest.TreeSize} events, root {newest.TreeRoot}, " +
                $"signed {newest.SignedAt} by {newest.KeyId}.");
            if (options.Extends is { } savedPath && await ExtendsAsync(http, keys, savedPath, newest) is var extends and not 0)
            {
                return extends;
            }

            if (options.Include is { } sequence && await IncludesAsync(http, sequence, newest) is var includes and not 0)
            {
                return includes;
            }

            if (options.Save is { } savePath)
            {
                await File.WriteAllTextAsync(savePath, newestText);
                Console.WriteLine($"Saved the newest checkpoint to {savePath}: pass it with --extends next time.");
            }

            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or FormatException or IOException)
        {
            return Fail(2, $"Could not read the API or the saved checkpoint: {e.Message}");
        }
    }

    /// <summary>The consistency proof from the saved tree head to the newest (RFC 9162 §2.1.4.2).</summary>
    private static async Task<int> ExtendsAsync(HttpClient http, Dictionary<string, ECDsa> keys, string savedPath, SignedHead newest)
    {
        var saved = SignedHead.Parse(await File.ReadAllTextAsync(savedPath));
        if (saved.TreeSize is not { } from || saved.Verify(keys) != 0)
        {
            return Fail(2, $"{savedPath} is not a version 2 checkpoint signed by one of your keys: nothing trusted to start from.");
        }

        if (saved.StreamId != newest.StreamId)
        {
            return Fail(1, $"Your checkpoint is of stream {saved.StreamId}; this API serves stream {newest.StreamId}.");
        }

        var to = newest.TreeSize!.Value;
        if (to < from)
        {
            return Fail(1, $"The newest signed tree ({to} events) is smaller than yours ({from}): the log went back.");
        }

        var (text, status) = await GetAsync(http, $"/api/kavach/events/proofs/consistency?from={from}&to={to}&epoch={saved.Epoch}");
        if (status != 200)
        {
            return Fail(status == 410 ? 1 : 2, $"No consistency proof from your tree of {from} events to {to} ({status}): {Detail(text)}");
        }

        var hashes = Hashes(text);
        if (!Merkle.VerifyConsistency(from, to, hashes, Convert.FromHexString(saved.TreeRoot!), Convert.FromHexString(newest.TreeRoot!)))
        {
            return Fail(1, $"The log does NOT extend your checkpoint: the consistency proof from {from} to {to} events ({hashes.Count} hashes) " +
                "does not lead from your signed root to the newest. Events in your tree were changed, removed or reordered.");
        }

        Console.WriteLine($"Extends your checkpoint: the tree of {to} events contains your tree of {from} unchanged " +
            $"(#{saved.Sequence}, signed {saved.SignedAt}); {hashes.Count} hashes checked.");
        return 0;
    }

    /// <summary>The event as served, hashed as a leaf, and its inclusion proof in the newest signed tree (RFC 9162 §2.1.3.2).</summary>
    private static async Task<int> IncludesAsync(HttpClient http, long sequence, SignedHead newest)
    {
        var size = newest.TreeSize!.Value;
        if (sequence < 1 || sequence > size)
        {
            return Fail(3, $"The newest signed tree holds events 1–{size}: #{sequence} is not in it (yet).");
        }

        var (page, status) = await GetAsync(http, $"/api/kavach/events?after={sequence - 1}&limit=1");
        using var events = JsonDocument.Parse(page);
        var served = status == 200 ? events.RootElement.GetProperty("events").EnumerateArray().FirstOrDefault() : default;
        if (served.ValueKind != JsonValueKind.Object || served.GetProperty("sequence").GetInt64() != sequence)
        {
            return Fail(1, $"Event #{sequence} is not served ({status}).");
        }

        var raw = served.GetRawText();
        var cut = raw.LastIndexOf(",\"hash\":\"", StringComparison.Ordinal);
        var leaf = Merkle.Leaf(Encoding.UTF8.GetBytes(cut < 0 ? raw : raw[..cut] + "}"));
        var (text, proofStatus) = await GetAsync(http, $"/api/kavach/events/proofs/inclusion?sequence={sequence}&treeSize={size}&epoch={newest.Epoch}");
        if (proofStatus != 200)
        {
            return Fail(proofStatus == 410 ? 1 : 2, $"No inclusion proof of #{sequence} in the tree of {size} ({proofStatus}): {Detail(text)}");
        }

        using var proof = JsonDocument.Parse(text);
        var hashes = Hashes(text);
        if (!Merkle.VerifyInclusion(sequence - 1, size, leaf, hashes, Convert.FromHexString(newest.TreeRoot!)))
        {
            var theirs = proof.RootElement.GetProperty("leafHash").GetString();
            return Fail(1, theirs == Convert.ToHexStringLower(leaf)
                ? $"Event #{sequence}'s inclusion proof does not lead to the signed root."
                : $"Event #{sequence} as served is NOT the event in the signed tree: its leaf hash is {Convert.ToHexStringLower(leaf)}, the tree's {theirs}.");
        }

        Console.WriteLine($"Included: event #{sequence}, exactly as served, is leaf {sequence - 1} of the signed tree of {size} events; {hashes.Count} hashes checked.");
        return 0;
    }

    private static async Task<(string Text, int Status)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        return (await response.Content.ReadAsStringAsync(), (int)response.StatusCode);
    }

    private static List<byte[]> Hashes(string proof)
    {
        using var document = JsonDocument.Parse(proof);
        return [.. document.RootElement.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!))];
    }

    private static string Detail(string problem)
    {
        try
        {
            using var document = JsonDocument.Parse(problem);
            return document.RootElement.TryGetProperty("detail", out var detail) ? detail.GetString() ?? problem : problem;
        }
        catch (JsonException)
        {
            return problem;
        }
    }

    private static int Fail(int code, string message)
    {
        Console.WriteLine(message);
        return code;
    }

    /// <summary>A checkpoint as the API shows it (CheckpointView); version 2 also signs the tree head and the previous checkpoint.</summary>
    private sealed record SignedHead(string StreamId, long Epoch, long Sequence, string Hash, string SignedAt, string KeyId, string Signature,
        long? TreeSize, string? TreeRoot, long? PreviousEpoch, long? PreviousSequence, string? PreviousDigest)
    {
        public static SignedHead Parse(string json)
        {
            using var document = JsonDocument.Parse(json);
            var c = document.RootElement;
            long? Number(string name) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : null;
            string? Text(string name) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var version = Number("version") ?? 1;
            return new SignedHead(Text("streamId")!, Number("epoch")!.Value, Number("sequence")!.Value, Text("hash")!, Text("signedAt")!,
                Text("keyId")!, Text("signature")!, version >= 2 ? Number("treeSize") : null, version >= 2 ? Text("treeRoot") : null,
                Number("previousEpoch"), Number("previousSequence"), Text("previousDigest"));
        }

        /// <summary>0 when one of <paramref name="keys"/> signed it, 3 when its key is not one of them, 1 when its signature is wrong.</summary>
        public int Verify(Dictionary<string, ECDsa> keys) =>
            !keys.TryGetValue(KeyId, out var key) ? 3 : key.VerifyData(Payload(), Convert.FromBase64String(Signature), HashAlgorithmName.SHA256) ? 0 : 1;

        /// <summary>kavach-checkpoint/v2: eleven lines, joined by "\n" (docs/integrity.md, "Checkpoints").</summary>
        private byte[] Payload() => Encoding.UTF8.GetBytes(string.Join('\n', "kavach-checkpoint/v2", StreamId, Epoch, Sequence, Hash, TreeSize, TreeRoot,
            PreviousEpoch, PreviousSequence, PreviousDigest, SignedAt));
    }

    private sealed record AuditOptions(string Api, string Token, List<string> Keys, string? Extends, long? Include, string? Save)
    {
        public static AuditOptions? Parse(string[] args)
        {
            string? api = null, token = null, extends = null, save = null;
            long? include = null;
            var keys = new List<string>();
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                switch (args[i])
                {
                    case "--api": api = args[i + 1]; break;
                    case "--token": token = args[i + 1]; break;
                    case "--key": keys.Add(args[i + 1]); break;
                    case "--extends": extends = args[i + 1]; break;
                    case "--include" when long.TryParse(args[i + 1], out var sequence): include = sequence; break;
                    case "--save": save = args[i + 1]; break;
                    default: return null;
                }
            }

            return api is null || token is null || keys.Count == 0 || args.Length % 2 != 0 ? null : new AuditOptions(api, token, keys, extends, include, save);
        }
    }
}

/// <summary>RFC 9162 §2.1 from the RFC's text alone: the leaf hash, and the verification of both proofs.</summary>
static class Merkle
{
    public static byte[] Leaf(byte[] data) => SHA256.HashData([0x00, .. data]);

    private static byte[] Node(byte[] left, byte[] right) => SHA256.HashData([0x01, .. left, .. right]);

    /// <summary>§2.1.3.2.</summary>
    public static bool VerifyInclusion(long index, long size, byte[] leaf, List<byte[]> path, byte[] root)
    {
        if (index >= size)
        {
            return false;
        }

        long fn = index, sn = size - 1;
        var r = leaf;
        foreach (var p in path)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = Node(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    /// <summary>§2.1.4.2; equal sizes need an empty proof and equal roots.</summary>
    public static bool VerifyConsistency(long first, long second, List<byte[]> path, byte[] firstRoot, byte[] secondRoot)
    {
        if (first == second)
        {
            return path.Count == 0 && firstRoot.AsSpan().SequenceEqual(secondRoot);
        }

        if (first < 1 || second < first || path.Count == 0)
        {
            return false;
        }

        if ((first & (first - 1)) == 0)
        {
            path = [firstRoot, .. path];
        }

        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        byte[] fr = path[0], sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = Node(c, fr);
                sr = Node(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return fr.AsSpan().SequenceEqual(firstRoot) && sr.AsSpan().SequenceEqual(secondRoot) && sn == 0;
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
            .All(name => Value(a, name) == Value(b, name));

    // The value, not its spelling: one JSON writer escapes '+' in base64 as \u002B, another does not.
    private static string? Value(JsonElement checkpoint, string name) =>
        !checkpoint.TryGetProperty(name, out var value) ? null : value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText();

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
