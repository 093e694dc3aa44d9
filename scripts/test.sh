#!/usr/bin/env bash
# Runs every test project, one after another: the fast tests that start nothing (Kavach.UnitTests), then the tests
# against the real system (PostgreSQL, Redis, both API replicas, the console), then the attack suite (the security
# promises played by their adversaries), then the fault tests where they exist.
# Installs what the tests need where it can (as root or with sudo): redis-server and Chromium from apt, Azurite from npm.
# PostgreSQL server binaries (initdb, postgres) must already be on the machine.
# Then packs the client libraries (Kavach.Contracts, Kavach.Client) into artifacts/packages; nothing is published.
# Prints a last line "N passed, N failed, N skipped" summed over all projects and exits non-zero on any failure
# (a failed pack counts as one failure).
set -uo pipefail
cd "$(dirname "$0")/.."

# In this order. Not in parallel: the integration suites are timing-sensitive and the machine may have two cores.
projects=(Kavach.UnitTests Kavach.Tests Kavach.AttackTests Kavach.FaultTests)

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "Installing ${need[*]} ..."
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"; } >/tmp/kavach-apt.log 2>&1; then
    echo "warn: could not install ${need[*]} (see /tmp/kavach-apt.log); tests that need them will fail." >&2
  fi
fi

# Azurite (the checkpoint witness), pinned by tools/azurite/package-lock.json.
if [ ! -x tools/azurite/node_modules/.bin/azurite-blob ]; then
  echo "Installing Azurite (npm ci --prefix tools/azurite) ..."
  npm ci --prefix tools/azurite --no-audit --no-fund >/tmp/kavach-npm.log 2>&1 \
    || echo "warn: could not install Azurite (see /tmp/kavach-npm.log); tests that need the witness will fail." >&2
fi

if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "PostgreSQL server binaries are missing: install them with 'apt-get install postgresql'." >&2
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
passed=0 failed=0 skipped=0 status=0 summaries=()
count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }

for project in "${projects[@]}"; do
  [ -d "$project" ] || continue
  trx="$results/$project.trx"
  started=$SECONDS
  dotnet test "$project" --logger "console;verbosity=normal" \
    --logger "trx;LogFileName=$project.trx" --results-directory "$results"
  run=$?
  seconds=$(( SECONDS - started ))

  # The counts come from the TRX report, whatever the console verbosity.
  if [ -f "$trx" ] && counters=$(grep -o '<Counters [^>]*>' "$trx"); then
    p=$(count passed); f=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) ))
    s=$(( $(count total) - $(count executed) ))
    if [ "$run" -ne 0 ] && [ "$f" -eq 0 ]; then
      # dotnet test failed although no test did: the test host crashed or the run was cut short.
      echo "$project: the run did not complete (exit code $run): see the output above." >&2
      f=1
    fi
  else
    # No report at all (build failure, crash before the first test): one failure, so the total never reads green.
    echo "$project: the run did not complete (build failure or crash): see the output above." >&2
    p=0 f=1 s=0
  fi
  [ "$run" -eq 0 ] && [ "$f" -eq 0 ] || status=1
  passed=$(( passed + p )) failed=$(( failed + f )) skipped=$(( skipped + s ))
  summaries+=("$project: $p passed, $f failed, $s skipped in ${seconds} s")
  # The failed tests by name, so the last lines of a long log say which ones (the first 20).
  if [ -f "$trx" ]; then
    while IFS= read -r name; do
      summaries+=("  failed: $name")
    done < <(grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"' "$trx" \
      | sed -n 's/.* testName="\([^"]*\)".*/\1/p' | head -20)
  fi
done

# The NuGet packages of the client, as a consumer would get them (README, XML docs, symbols).
packages=artifacts/packages
rm -f "$packages"/Kavach.Contracts.*nupkg "$packages"/Kavach.Client.*nupkg
if dotnet pack Kavach.Contracts -c Release -o "$packages" -v quiet -nologo \
  && dotnet pack Kavach.Client -c Release -o "$packages" -v quiet -nologo; then
  summaries+=("packages: $(cd "$packages" && ls Kavach.Contracts.*.nupkg Kavach.Client.*.nupkg | tr '\n' ' ')in $packages")
else
  echo "dotnet pack of the client failed: see the output above." >&2
  summaries+=("packages: dotnet pack failed")
  failed=$(( failed + 1 )) status=1
fi

printf '%s\n' "${summaries[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
