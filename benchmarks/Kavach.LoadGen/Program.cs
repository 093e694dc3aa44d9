using Kavach.LoadGen;

// A load generator that is cheap per event, so that it is never the hidden bottleneck: raw sockets, HTTP/1.0 (no
// chunked framing), SSE read as lines, events checked by their id alone. It reports its own CPU time.
return args.FirstOrDefault() switch
{
    "storm" => await StormCommand.RunAsync(Arguments.Parse(args.Skip(1))),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: Kavach.LoadGen storm --url <api> --signing-key <key> --clients <n> --after <event id> --until <sequence> [--timeout <s>]
          storm  n clients resume at once after <event id>; each must receive every sequence up to <sequence>, in order, once.
                 Prints one JSON line: clients, completed, events, violations, reconnects, seconds, cpuSeconds.
        """);
    return 2;
}
