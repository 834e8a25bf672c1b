-- The wegwijzer (issue 14, ADR 0026).

-- Each jobcoach's secret calendar feed. The token itself is never stored: it is HMAC-SHA256 of the account and
-- the nonce under RECERT_PORTFOLIO_CALENDAR_SECRET (so the jobcoach can see the current address again), and only
-- its SHA-256 is kept to find the feed by. Renewing draws a new nonce: the old address stops at once.
CREATE TABLE calendar_feeds (
    account_id   uuid PRIMARY KEY,
    nonce        text NOT NULL,
    token_sha256 text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    created_at   timestamptz NOT NULL
);

-- The nudge: a milestone that turned "behind" is announced once per cycle (portfolio.milestone.behind).
CREATE TABLE milestone_nudges (
    cycle_id   uuid NOT NULL REFERENCES cycles (id),
    milestone  text NOT NULL,
    account_id uuid NOT NULL,
    nudged_at  timestamptz NOT NULL,
    PRIMARY KEY (cycle_id, milestone)
);
