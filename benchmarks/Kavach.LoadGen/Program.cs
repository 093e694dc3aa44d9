using Kavach.LoadGen;
using Kavach.LoadGen.Commands;

// A load generator that is cheap per event, so that it is never the hidden bottleneck: raw sockets, HTTP/1.0 streams
// (no chunked framing) read by one epoll thread, SSE read as lines, each event checked by its id. Every command ends
// by printing one JSON line that includes its own CPU time.
return args.FirstOrDefault() switch
{
    "storm" => await StormCommand.RunAsync(Arguments.Parse(args.Skip(1))),
    "subscribe" => SubscribeCommand.Run(Arguments.Parse(args.Skip(1)), idle: false),
    "idle" => SubscribeCommand.Run(Arguments.Parse(args.Skip(1)), idle: true),
    "emit" => await EmitCommand.RunAsync(Arguments.Parse(args.Skip(1))),
    "resume" => ResumeCommand.Run(Arguments.Parse(args.Skip(1))),
    "pgrate" => await PgRateCommand.RunAsync(Arguments.Parse(args.Skip(1))),
    "otlp-sink" => await OtlpSinkCommand.RunAsync(Arguments.Parse(args.Skip(1))),
    "webhook-sink" => await WebhookSinkCommand.RunAsync(Arguments.Parse(args.Skip(1))),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: Kavach.LoadGen <command> [--name value ...]
        Tokens: --token <jwt>, or --signing-key <key> [--subject <sub>] to mint one. URLs: --url <a>[,<b>...] (round-robin).
        Control: --control <dir>: writes <dir>/ready when connected; <dir>/stop (the last sequence to wait for, or -1) ends it.

          storm      --url --signing-key --clients <n> --after <id> --until <seq> [--timeout <s>]
                     n clients resume at once after <id>; each must receive every sequence up to <seq>, in order, once.
          subscribe  --url --connections <n> [--after <id>] [--control <dir>] [--timeout <s>] [--drain <s>]
                     [--origin <ns> --bucket-ms <ms>] [--buffer <bytes>] [--reconnect-ms <ms>] [--no-reconnect]
                     n SSE subscribers on one epoll thread: order/once check, emit→receive latency from "t" in the data.
          idle       --url --connections <n> --control <dir> [--timeout <s>]
                     hold n idle streams until told to stop.
          emit       --url --connections <m> [--batch <b>] [--rate <events/s> | --steps <rate:s,...>] [--duration <s>]
                     [--warmup <s>] [--pad <chars>] [--type <type>] [--start-at <monotonic ns>]
                     m keep-alive HTTP/1.1 emitters, closed loop (rate 0) or paced; acks, statuses, latency, max sequence.
          resume     --url --after <id> [--count 1000] [--samples 100] [--pause-ms 10]
                     one client at a time resumes by Last-Event-ID; timed from connect to the count-th event.
          pgrate     --connection <npgsql> [--mode insert|copy] [--connections 8] [--batch 100] [--duration <s>] [--warmup <s>]
                     the same rows straight into PostgreSQL (a table LIKE kavach_stream_events), a transaction per batch.
          otlp-sink  [--port <n>] [--control <dir>] [--timeout <s>]
                     accepts OTLP/HTTP protobuf on /v1/traces, /v1/metrics, /v1/logs (200, empty response); counts
                     requests, bytes and spans/metrics/log records; GET /stats serves the counts so far.
          webhook-sink [--port <n>] [--verify] [--control <dir>] [--timeout <s>]
                     a webhook receiver: any POSTed path is an endpoint, answered 200; counts per path (sequences once
                     and in order, first/last arrival, worst emit→delivery latency); --verify checks Standard Webhooks
                     signatures against the secrets POSTed to /_secrets ({"/path":["whsec_…"]}); GET /stats?prefix=/p/.
        """);
    return 2;
}
