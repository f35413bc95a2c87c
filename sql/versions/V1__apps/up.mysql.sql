-- Applications, soft-deleted through deleted_at, and a key-value metadata store.
CREATE TABLE apps (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    description VARCHAR(2000) NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    deleted_at DATETIME(6) NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE INDEX apps_deleted_at_idx ON apps (deleted_at);

CREATE TABLE metadata (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    value VARCHAR(4000) NOT NULL,
    updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
