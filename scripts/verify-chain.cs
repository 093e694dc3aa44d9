// Verifies Kavach's tamper-evident log from outside the server: reads the events and the signed checkpoints over the
// HTTP API, recomputes the hash chain (docs/integrity.md) and checks every checkpoint's signature with public keys
// you trust — not with what the server says. Needs only a token that reads every event.
//
//   dotnet run scripts/verify-chain.cs -- --api http://localhost:5080 --token "$TOKEN" --key checkpoint-public.pem
//       [--key older-key.pem] [--from 1] [--to 5000]
//
// Exit code: 0 the chain verified up to a signed checkpoint, 1 it broke (the first break is printed), 2 usage or
// network errors, 3 the chain holds but no checkpoint signed by a trusted key covers it.
using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

var options = Options.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: dotnet run scripts/verify-chain.cs -- --api <url> --token <token> --key <public.pem> [--key …] [--from N] [--to N]");
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
