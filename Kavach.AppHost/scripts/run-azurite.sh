#!/usr/bin/env bash
# Runs Azurite's Blob service (the checkpoint witness) for the AppHost.
# Environment (set by LocalAzuriteResource): KAVACH_AZURITE_BIN, KAVACH_AZURITE_DATA, AZURITE_PORT, and AZURITE_ACCOUNTS
# (the one account and its key, made for the run; Azurite then turns its well-known development account off).
# Path-style URLs only (the account is the path's first segment, whatever the host). Telemetry off: Azurite would try to
# send it, and with it on, SIGTERM leaves the process running.
set -euo pipefail
mkdir -p "$KAVACH_AZURITE_DATA"
exec "$KAVACH_AZURITE_BIN" --blobHost 127.0.0.1 --blobPort "$AZURITE_PORT" --location "$KAVACH_AZURITE_DATA" \
  --skipApiVersionCheck --disableProductStyleUrl --disableTelemetry --silent
