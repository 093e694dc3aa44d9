// Tests in different classes may run side by side; tests that share the running system take care of it.
[assembly: Parallelize(Scope = ExecutionScope.ClassLevel, Workers = 2)]
