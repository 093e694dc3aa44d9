// Every test shares one running system; tests that count connections or watch the whole stream need it to
// themselves, so tests run one at a time.
[assembly: DoNotParallelize]
