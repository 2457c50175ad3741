"""The license as the agent applies it: the key file, entitlements (tier limits and features), the gate the daemon asks, and the report `license show` prints."""
