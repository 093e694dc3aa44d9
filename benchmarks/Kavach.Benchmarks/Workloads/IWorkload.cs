using Kavach.Benchmarks.Results;

namespace Kavach.Benchmarks.Workloads;

/// <summary>One row (or a few) of the table: the same measurement against the API and against its floor.</summary>
public interface IWorkload
{
    string Title { get; }

    string Goal { get; }

    Task RunAsync(SuiteContext context, WorkloadReport report);
}
