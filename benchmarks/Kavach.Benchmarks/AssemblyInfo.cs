// taskset, setpriv, /proc: the suite runs on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
