CREATE TABLE items (id integer PRIMARY KEY, changed_at timestamptz NOT NULL DEFAULT now());
