-- Schema objects beyond tables, for PostgresObjectsRoundTripTest. The roles dbsnap_reader and
-- dbsnap_owner exist before this runs.
CREATE EXTENSION citext WITH SCHEMA public;
CREATE SCHEMA shop;
COMMENT ON SCHEMA shop IS 'the shop';
CREATE SCHEMA empty_one;

CREATE COLLATION shop.bytewise (provider = libc, locale = 'C');
CREATE TYPE shop.status AS ENUM ('new', 'paid', 'sent');
CREATE TYPE shop.unused_enum AS ENUM ('x', 'y');
CREATE DOMAIN shop.unused_domain AS text COLLATE shop.bytewise CHECK (VALUE <> '');
CREATE TYPE shop.unused_pair AS (a integer, b text);
CREATE TYPE shop.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
COMMENT ON TYPE shop.status IS 'where an order is';

CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.last_update := now();
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION shop.touch() IS 'keeps last_update';

CREATE FUNCTION shop.fill_search() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  NEW.search := to_tsvector('simple', coalesce(NEW.title, '') || ' ' || coalesce(NEW.body, ''));
  RETURN NEW;
END;
$body$;

CREATE FUNCTION shop.add_price(acc numeric, price numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE AS 'SELECT coalesce(acc, 0) + coalesce(price, 0)';
CREATE FUNCTION shop.price_final(acc numeric) RETURNS numeric
  LANGUAGE sql IMMUTABLE AS 'SELECT round(acc, 2)';
CREATE AGGREGATE shop.total(numeric) (
  SFUNC = shop.add_price, STYPE = numeric, FINALFUNC = shop.price_final, INITCOND = '0');

CREATE TABLE shop.orders (
  id integer PRIMARY KEY,
  customer public.citext NOT NULL,
  status shop.status NOT NULL DEFAULT 'new',
  price numeric(10,2),
  last_update timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 80);
COMMENT ON TABLE shop.orders IS 'orders, one row each';
COMMENT ON COLUMN shop.orders.price IS 'in euros';
CREATE TRIGGER orders_touch BEFORE UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.touch();

CREATE PROCEDURE shop.mark_paid(order_id integer) LANGUAGE sql
  AS 'UPDATE shop.orders SET status = ''paid'' WHERE id = order_id';

CREATE TABLE shop.notes (
  id integer PRIMARY KEY,
  title text,
  body text,
  search tsvector
);
CREATE TRIGGER notes_search BEFORE INSERT OR UPDATE ON shop.notes
  FOR EACH ROW EXECUTE FUNCTION shop.fill_search();

CREATE TABLE shop.payments (
  id integer NOT NULL,
  paid_on date NOT NULL,
  amount numeric(10,2) NOT NULL,
  last_update timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, paid_on)
) PARTITION BY RANGE (paid_on);
CREATE TABLE shop.payments_2024 PARTITION OF shop.payments
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE shop.payments_2025 PARTITION OF shop.payments
  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE shop.payments_other PARTITION OF shop.payments DEFAULT;
CREATE INDEX payments_amount ON shop.payments (amount);
CREATE TRIGGER payments_touch BEFORE UPDATE ON shop.payments
  FOR EACH ROW EXECUTE FUNCTION shop.touch();
COMMENT ON TABLE shop.payments IS 'by year';
-- what a partition has of its own: a foreign key and an index only there
ALTER TABLE shop.payments_2024 ADD CONSTRAINT payments_2024_order FOREIGN KEY (id) REFERENCES shop.orders (id);
CREATE INDEX payments_2024_paid_on ON shop.payments_2024 (paid_on);

-- a trigger from a built-in function with arguments, as in many schemas
CREATE TABLE shop.films (
  id integer PRIMARY KEY,
  title text NOT NULL,
  description text,
  fulltext tsvector NOT NULL
);
CREATE TRIGGER films_fulltext BEFORE INSERT OR UPDATE ON shop.films
  FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(fulltext, 'pg_catalog.english', title, description);

CREATE UNLOGGED TABLE shop.scratch (k text PRIMARY KEY, v text);

CREATE TABLE shop.secrets (id integer PRIMARY KEY, owner_name text NOT NULL, secret text);
ALTER TABLE shop.secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE shop.secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON shop.secrets FOR SELECT TO dbsnap_reader USING (owner_name = current_user);

CREATE VIEW shop.order_totals AS
  SELECT status, shop.total(price) AS total, count(*) AS n FROM shop.orders GROUP BY status;
CREATE VIEW shop.paid_totals AS SELECT total FROM shop.order_totals WHERE status = 'paid';
COMMENT ON VIEW shop.paid_totals IS 'paid only';
CREATE MATERIALIZED VIEW shop.customer_totals AS
  SELECT customer, shop.total(price) AS total FROM shop.orders GROUP BY customer;
CREATE UNIQUE INDEX customer_totals_customer ON shop.customer_totals (customer);

ALTER TABLE shop.scratch OWNER TO dbsnap_owner;
ALTER FUNCTION shop.price_final(numeric) OWNER TO dbsnap_owner;
GRANT USAGE ON SCHEMA shop TO dbsnap_reader;
GRANT SELECT ON shop.orders TO dbsnap_reader;
GRANT SELECT, INSERT ON shop.notes TO dbsnap_reader WITH GRANT OPTION;
GRANT UPDATE (title) ON shop.notes TO dbsnap_reader;
GRANT SELECT ON shop.order_totals TO PUBLIC;
REVOKE EXECUTE ON FUNCTION shop.touch() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shop.touch() TO dbsnap_reader;
-- the public schema's privileges changed from what initdb gave it
REVOKE CREATE, USAGE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO dbsnap_reader;
-- a grant by a role that holds the privilege WITH GRANT OPTION, not by the owner
GRANT SELECT ON shop.scratch TO dbsnap_reader WITH GRANT OPTION;
SET ROLE dbsnap_reader;
GRANT SELECT ON shop.scratch TO PUBLIC;
RESET ROLE;

INSERT INTO shop.orders (id, customer, status, price) VALUES
  (1, 'Ann', 'paid', 10.50), (2, 'bob', 'new', 3.25), (3, 'ANN', 'paid', 7), (4, 'cy', 'sent', NULL);
UPDATE shop.orders SET last_update = '2024-01-02 03:04:05+00';
INSERT INTO shop.notes (id, title, body) VALUES (1, 'first', 'hello world'), (2, 'second', NULL);
INSERT INTO shop.scratch VALUES ('a', 'b');
INSERT INTO shop.films (id, title, description) VALUES (1, 'Academy Dinosaur', 'An epic drama');
INSERT INTO shop.payments (id, paid_on, amount, last_update) VALUES
  (1, '2024-03-01', 5, '2024-03-01 00:00:00+00'), (2, '2025-07-09', 6, '2025-07-09 00:00:00+00'),
  (3, '2019-12-31', 7, '2019-12-31 00:00:00+00');
INSERT INTO shop.secrets VALUES (1, 'dbsnap_reader', 's1'), (2, 'someone', 's2');
REFRESH MATERIALIZED VIEW shop.customer_totals;
