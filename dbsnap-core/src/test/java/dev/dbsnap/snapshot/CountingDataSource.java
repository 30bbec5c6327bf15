package dev.dbsnap.snapshot;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A data source that records every call that sends something to the database: each statement
 * executed (with its SQL) and each commit, rollback or isolation change, so a test can count what a
 * request costs in round trips (one execute of a multi-statement string is one round trip).
 */
final class CountingDataSource implements DataSource {
  private final DataSource target;
  final List<String> sent = new CopyOnWriteArrayList<>();

  CountingDataSource(DataSource target) {
    this.target = target;
  }

  void reset() {
    sent.clear();
  }

  @Override
  public Connection getConnection() throws SQLException {
    return wrap(target.getConnection());
  }

  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    return wrap(target.getConnection(user, password));
  }

  private Connection wrap(Connection c) {
    InvocationHandler h =
        (proxy, method, args) -> {
          String name = method.getName();
          if (name.equals("commit") || name.equals("rollback")) {
            sent.add(name.toUpperCase(java.util.Locale.ROOT));
          } else if (name.equals("setTransactionIsolation")) {
            sent.add("SET SESSION CHARACTERISTICS (isolation " + args[0] + ")");
          }
          Object result = invoke(c, method, args);
          if (result instanceof Statement s) {
            String sql = args != null && args.length > 0 && args[0] instanceof String q ? q : null;
            return wrap(s, method.getReturnType(), sql);
          }
          return result;
        };
    return (Connection)
        Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, h);
  }

  private Object wrap(Statement s, Class<?> type, String preparedSql) {
    InvocationHandler h =
        (proxy, method, args) -> {
          if (method.getName().startsWith("execute")) {
            String sql = args != null && args.length > 0 && args[0] instanceof String q ? q : null;
            sent.add(sql != null ? sql : preparedSql);
          }
          return invoke(s, method, args);
        };
    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, h);
  }

  private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args)
      throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return target.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    target.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    target.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return target.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return target.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return target.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return target.isWrapperFor(iface);
  }
}
