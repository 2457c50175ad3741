"""The license as the agent applies it: the key file, the entitlements (tier limits and
features), the gate the daemon asks, and the typed report `license show` prints."""
