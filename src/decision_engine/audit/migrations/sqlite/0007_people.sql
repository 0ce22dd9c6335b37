-- People who sign in to the pages (API keys stay for systems). Outside the hash chain,
-- like api_credentials: issuing, locking or revoking a user never touches the chain.
-- Only an argon2id hash of each password is kept. A user is revoked, never deleted.
CREATE TABLE app_users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('panel', 'court_officer', 'case_manager',
                                                'custody', 'auditor', 'policy_admin')),
    service_area  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_by    TEXT,
    failed_count  INTEGER NOT NULL DEFAULT 0,
    locked_until  REAL
);

-- A signed-in browser: only the SHA-256 of its 256-bit session token is kept. The CSRF
-- token is per session; last_seen drives the idle timeout (epoch seconds).
CREATE TABLE app_sessions (
    token_sha256 TEXT PRIMARY KEY,
    username     TEXT NOT NULL REFERENCES app_users (username),
    csrf_token   TEXT NOT NULL,
    created_at   REAL NOT NULL,
    last_seen    REAL NOT NULL,
    ended_at     REAL
);

CREATE INDEX app_sessions_user ON app_sessions (username);
