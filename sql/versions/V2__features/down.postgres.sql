-- Exactly the schema of V1: the features table and apps.app_type (with its index) go.
DROP TABLE features;
DROP INDEX apps_app_type_idx;
ALTER TABLE apps DROP COLUMN app_type;
