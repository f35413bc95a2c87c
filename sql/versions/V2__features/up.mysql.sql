-- Apps get a type; features belong to an app (a foreign key, indexed).
ALTER TABLE apps ADD COLUMN app_type VARCHAR(50) NOT NULL DEFAULT 'standard';

CREATE TABLE features (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    app_id BIGINT NOT NULL,
    name VARCHAR(255) NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    INDEX features_app_id_idx (app_id),
    CONSTRAINT features_app_id_fk FOREIGN KEY (app_id) REFERENCES apps (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE INDEX apps_app_type_idx ON apps (app_type);
