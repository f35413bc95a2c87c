-- Apps get a type; features belong to an app.
ALTER TABLE apps ADD COLUMN app_type VARCHAR(50) NOT NULL DEFAULT 'standard';

CREATE TABLE features (
    id BIGINT NOT NULL PRIMARY KEY,
    app_id BIGINT NOT NULL REFERENCES apps (id),
    name VARCHAR(255) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE INDEX features_app_id_idx ON features (app_id);
