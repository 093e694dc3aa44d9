// Every test owns what it touches: its own fake clock, servers on port 0, temp paths with a fresh GUID, settings
// passed in rather than read from the process's environment (the AppHost's search path is Kavach:SearchPath).
[assembly: Parallelize(Scope = ExecutionScope.MethodLevel)]
