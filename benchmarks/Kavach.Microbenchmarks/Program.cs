using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Kavach.Microbenchmarks;

public static class Entry
{
    /// <summary>
    /// In-process (BenchmarkDotNet's --inProcess, always added): it does not generate and build a project per
    /// benchmark, which would inherit this repository's build settings. Pass its own options after --, e.g.
    /// --filter '*LiveBuffer*' or --job short.
    /// </summary>
    public static void Main(string[] args)
    {
        if (!args.Contains("--inProcess", StringComparer.OrdinalIgnoreCase))
        {
            args = [.. args, "--inProcess"];
        }

        BenchmarkSwitcher.FromAssembly(typeof(Entry).Assembly)
            .Run(args, DefaultConfig.Instance.WithOptions(ConfigOptions.DisableOptimizationsValidator));
    }
}
