-- Apps get a type; features belong to an app (a foreign key, indexed).
ALTER TABLE apps ADD COLUMN app_type VARCHAR(50) NOT NULL DEFAULT 'standard';

CREATE TABLE features (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT features_app_id_fk FOREIGN KEY (app_id) REFERENCES apps (id)
);

CREATE INDEX features_app_id_idx ON features (app_id);
CREATE INDEX apps_app_type_idx ON apps (app_type);
