-- Airflow 3.3's `team` table (multi-team deployments): the teams `riir-airflow teams create|delete|list|sync`
-- manage. Names as Airflow's: up to 50 characters, the primary key.
CREATE TABLE team (
    name varchar(50) PRIMARY KEY
);
