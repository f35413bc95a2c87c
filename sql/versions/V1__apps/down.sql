DROP TABLE metadata;
DROP TABLE apps;
