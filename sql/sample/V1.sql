-- Development sample data for schema V1. Loaded only on request (`startup --sample-data`),
-- never by a migration.
INSERT INTO apps (id, name, description) VALUES (1001, 'billing', 'Invoices; payments and ''refunds''');
INSERT INTO apps (id, name, description) VALUES (1002, 'search', NULL);
INSERT INTO metadata (name, value) VALUES ('sample.loaded', 'V1');
