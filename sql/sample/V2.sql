-- Development sample data for schema V2 (after V1's). Loaded only on request.
UPDATE apps SET app_type = 'internal' WHERE id = 1002;
INSERT INTO features (id, app_id, name, enabled) VALUES (2001, 1001, 'dunning', TRUE);
INSERT INTO features (id, app_id, name, enabled) VALUES (2002, 1001, 'tax-export', FALSE);
UPDATE metadata SET value = 'V2' WHERE name = 'sample.loaded';
