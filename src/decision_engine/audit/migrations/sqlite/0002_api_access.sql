-- The HTTP service's own tables: API credentials and bulk replay jobs.
-- They live beside the audit chain but outside it: nothing here is hashed or chained,
-- so issuing or revoking a credential, or a job's progress, never touches the chain.

-- Only a SHA-256 of each secret is kept (the secret is 256 random bits, so a plain
-- hash is enough). A credential is revoked, never deleted or altered otherwise.
CREATE TABLE api_credentials (
    key_id        TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('panel', 'court_officer', 'case_manager',
                                                'custody', 'auditor', 'policy_admin')),
    service_area  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    revoked_at    TEXT,
    revoked_by    TEXT
);

CREATE TRIGGER api_credentials_revoke_only BEFORE UPDATE ON api_credentials
WHEN NEW.key_id IS NOT OLD.key_id
  OR NEW.secret_sha256 IS NOT OLD.secret_sha256
  OR NEW.name IS NOT OLD.name
  OR NEW.role IS NOT OLD.role
  OR NEW.service_area IS NOT OLD.service_area
  OR NEW.created_at IS NOT OLD.created_at
  OR NEW.created_by IS NOT OLD.created_by
  OR OLD.revoked_at IS NOT NULL
  OR NEW.revoked_at IS NULL
  OR NEW.revoked_by IS NULL
BEGIN
    SELECT RAISE(ABORT, 'api_credentials: the only permitted change is revocation');
END;

CREATE TRIGGER api_credentials_no_delete BEFORE DELETE ON api_credentials
BEGIN
    SELECT RAISE(ABORT, 'api_credentials: rows are revoked, never deleted');
END;

-- A bulk replay runs in the worker process that accepted it; its state is kept here so
-- that any worker can answer GET /v1/replays/{id}. heartbeat_at tells a live job from
-- one whose worker stopped.
CREATE TABLE api_replay_jobs (
    id           TEXT PRIMARY KEY,
    service_area TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    request      TEXT NOT NULL,
    selected     INTEGER,
    processed    INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    heartbeat_at TEXT NOT NULL,
    result       TEXT,
    error        TEXT
);

CREATE INDEX api_replay_jobs_area ON api_replay_jobs (service_area, created_at);
