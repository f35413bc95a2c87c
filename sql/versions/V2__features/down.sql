DROP TABLE features;
ALTER TABLE apps DROP COLUMN app_type;
