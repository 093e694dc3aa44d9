// Signals by PID, setpriv, taskset, /proc: the harness is for Linux, where CI and the local processes run.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
