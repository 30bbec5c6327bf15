package dev.dbsnap.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What SQLite introspection does with objects beyond plain tables, views and triggers. */
class SqliteSchemaObjectsTest {
  @TempDir Path dir;

  private DatabaseSchema introspect(Path db, SchemaOptions options) throws Exception {
    Source source = Source.parse(db.toString(), null, null);
    try (Connection c = source.connect()) {
      return source.dialect().introspect(c, TableSelection.ALL, options);
    }
  }

  private Path database(String... statements) throws Exception {
    Path db = dir.resolve("db.sqlite");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
    return db;
  }

  @Test
  void views_and_triggers_that_use_a_table_left_out_are_left_out_and_listed() throws Exception {
    Path db =
        database(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT, note TEXT)",
            "CREATE VIRTUAL TABLE items_fts USING fts5(title, content='items', content_rowid='id')",
            "CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN"
                + " INSERT INTO items_fts(rowid, title) VALUES (new.id, new.title); END",
            "CREATE TRIGGER items_touch AFTER UPDATE ON items BEGIN"
                + " UPDATE items SET note = 'items_fts is not named here' WHERE id = new.id; END",
            "CREATE TABLE audit (id INTEGER, at TEXT)",
            "CREATE TRIGGER items_audit AFTER DELETE ON items BEGIN"
                + " INSERT INTO \"Audit\" VALUES (old.id, 'x'); END",
            "CREATE VIEW recent AS SELECT * FROM audit",
            "CREATE VIEW recent_items AS SELECT * FROM recent JOIN items USING (id)",
            "CREATE VIEW titles AS SELECT title FROM items");
    Source source = Source.parse(db.toString(), null, null);
    DatabaseSchema schema;
    try (Connection c = source.connect()) {
      schema =
          source
              .dialect()
              .introspect(
                  c,
                  new TableSelection(List.of(), List.of("items"), List.of()),
                  SchemaOptions.DEFAULTS);
    }
    assertThat(schema.skipped())
        .extracting(Object::toString)
        .containsExactlyInAnyOrder(
            "view recent: it uses audit, which the export leaves out",
            "view recent_items: it uses recent, which the export leaves out",
            "trigger items_ai: it uses items_fts, which the export leaves out",
            "trigger items_audit: it uses audit, which the export leaves out");
    assertThat(String.join("\n", schema.after()))
        .contains("CREATE VIEW titles", "CREATE TRIGGER items_touch")
        .doesNotContain("items_ai", "recent", "items_audit");

    // the whole database leaves nothing out
    assertThat(introspect(db, SchemaOptions.DEFAULTS).skipped()).isEmpty();
  }

  @Test
  void a_virtual_table_goes_into_sqlite_schema_and_its_shadow_tables_are_data() throws Exception {
    DatabaseSchema schema =
        introspect(
            database(
                "CREATE VIRTUAL TABLE docs USING fts5(body)",
                "INSERT INTO docs VALUES ('hello')",
                "PRAGMA user_version = 3"),
            SchemaOptions.DEFAULTS);
    assertThat(schema.before())
        .containsExactly(
            "PRAGMA writable_schema=ON",
            "INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql) VALUES('table','docs',"
                + "'docs',0,'CREATE VIRTUAL TABLE docs USING fts5(body)')");
    assertThat(schema.tables())
        .extracting(TableSchema::name)
        .containsExactly("docs_config", "docs_content", "docs_data", "docs_docsize", "docs_idx");
    assertThat(schema.tables().get(0).createSql())
        .startsWith("CREATE TABLE IF NOT EXISTS 'docs_config'");
    assertThat(schema.after()).endsWith("PRAGMA user_version=3", "PRAGMA writable_schema=OFF");
  }

  @Test
  void a_virtual_table_of_a_module_sqlite_does_not_know_is_carried_as_its_statement()
      throws Exception {
    DatabaseSchema schema =
        introspect(
            database(
                "CREATE TABLE a (x)",
                "PRAGMA writable_schema=ON",
                "INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql) VALUES('table','odd',"
                    + "'odd',0,'CREATE VIRTUAL TABLE odd USING nosuchmodule(a)')"),
            SchemaOptions.DEFAULTS);
    assertThat(schema.before()).hasSize(2);
    assertThat(schema.before().get(1)).contains("nosuchmodule");
    assertThat(schema.tables()).extracting(TableSchema::name).containsExactly("a");
  }

  @Test
  void an_internal_table_dbsnap_does_not_know_fails_the_export_unless_skipped() throws Exception {
    Path db =
        database("CREATE TABLE a (x)", "PRAGMA writable_schema=ON", "CREATE TABLE sqlite_foo (x)");
    assertThatThrownBy(() -> introspect(db, SchemaOptions.DEFAULTS))
        .isInstanceOfSatisfying(
            DbsnapException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_OBJECT))
        .hasMessageContaining("sqlite_foo");
    DatabaseSchema schema = introspect(db, SchemaOptions.DEFAULTS.withSkipUnsupported(true));
    assertThat(schema.skipped())
        .extracting(DatabaseSchema.Skipped::name)
        .containsExactly("sqlite_foo");
    assertThat(schema.tables()).extracting(TableSchema::name).containsExactly("a");
  }

  @Test
  void analyze_statistics_are_carried_and_stat4_samples_are_listed_as_skipped() throws Exception {
    DatabaseSchema schema =
        introspect(
            database(
                "CREATE TABLE a (x)",
                "CREATE INDEX a_x ON a(x)",
                "INSERT INTO a VALUES (1), (2)",
                "ANALYZE"),
            SchemaOptions.DEFAULTS);
    assertThat(schema.after())
        .containsSubsequence(
            "ANALYZE sqlite_schema",
            "INSERT INTO sqlite_stat1(tbl,idx,stat) VALUES('a','a_x','2 1')");
    // sqlite-jdbc is built with SQLITE_ENABLE_STAT4; Debian's sqlite3 is not
    assertThat(schema.skipped())
        .extracting(DatabaseSchema.Skipped::name)
        .containsExactly("sqlite_stat4");
  }

  @Test
  void change_tracking_leaves_a_virtual_tables_shadow_tables_alone() throws Exception {
    Path db =
        database(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT)",
            "CREATE VIRTUAL TABLE items_fts USING fts5(body, content='items', content_rowid='id')");
    Source source = Source.parse(db.toString(), null, null);
    assertThat(dev.dbsnap.track.ChangeTracking.of(source).install(TableSelection.ALL))
        .extracting(dev.dbsnap.track.TrackedTable::table)
        .containsExactly("items");
  }
}
