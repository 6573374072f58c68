"""Who may do what: permissions and roles, confirmations, the audit log, sign-in throttling,
loopback-only access and security headers."""
