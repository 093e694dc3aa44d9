using Kavach.Benchmarks;

if (SuiteOptions.Parse(args, out var error) is not { } options)
{
    Console.Error.WriteLine(error);
    return 2;
}

return await BenchmarkSuite.RunAsync(options);
