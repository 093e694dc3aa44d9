// One test changes PATH for the whole process and the upstream-client tests measure backoff on the wall clock:
// the suite takes seconds, so it runs one test at a time rather than reason about which may overlap.
[assembly: DoNotParallelize]
