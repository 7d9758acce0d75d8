package sparkcluster;

import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Iterator;
import java.util.stream.Collectors;
import org.apache.spark.api.java.function.ForeachPartitionFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SQLContext;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.execution.datasources.jdbc.JdbcOptionsInWrite;
import org.apache.spark.sql.execution.datasources.jdbc.JdbcRelationProvider;
import org.apache.spark.sql.execution.datasources.jdbc.JdbcUtils;
import org.apache.spark.sql.jdbc.JdbcDialect;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.jdbc.JdbcDialects;
import org.apache.spark.sql.sources.BaseRelation;
import org.apache.spark.sql.sources.CreatableRelationProvider;
import org.apache.spark.sql.types.*;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Spark's JDBC writer, with PostgreSQL's binary COPY for the rows: {@code df.write.format("sparkcluster.PgCopy")} takes
 * the options of {@code format("jdbc")} and creates the new table exactly as it does (same column types), then streams
 * each partition through one COPY, committed once per partition as the JDBC writer's INSERTs are. Values are sent as
 * pgjdbc's setters send the JDBC writer's (a timestamp column gets the JVM's wall time). A mode other than "error", or a
 * column whose binary form is not written here (arrays, say), goes to Spark's JDBC writer.
 */
public class PgCopy implements CreatableRelationProvider {
  @Override
  public BaseRelation createRelation(SQLContext context, SaveMode mode, scala.collection.immutable.Map<String, String> parameters, Dataset<Row> data) {
    StructType schema = data.schema();
    JdbcOptionsInWrite options = new JdbcOptionsInWrite(parameters);
    JdbcDialect dialect = JdbcDialects.get(options.url());
    int[] encoders = new int[schema.size()];
    if (mode == SaveMode.ErrorIfExists) {
      try (Connection conn = dialect.createConnectionFactory(options).apply(-1); Statement st = conn.createStatement()) {
        JdbcUtils.createTable(conn, options.table(), schema, SQLConf.get().caseSensitiveAnalysis(), options);
        ResultSetMetaData columns = st.executeQuery("SELECT * FROM " + options.table() + " WHERE false").getMetaData();
        for (int i = 0; i < encoders.length; i++) encoders[i] = encoder(schema.fields()[i].dataType(), columns.getColumnTypeName(i + 1));
        if (Arrays.stream(encoders).anyMatch(e -> e < 0)) st.execute("DROP TABLE " + options.table());
      } catch (SQLException e) { throw new IllegalStateException(e.getMessage(), e); }
    }
    if (mode != SaveMode.ErrorIfExists || Arrays.stream(encoders).anyMatch(e -> e < 0))
      return new JdbcRelationProvider().createRelation(context, mode, parameters, data);
    String copy = "COPY " + options.table() + " (" + Arrays.stream(schema.fieldNames()).map(dialect::quoteIdentifier)
        .collect(Collectors.joining(", ")) + ") FROM STDIN WITH (FORMAT binary)";
    // foreachPartition of the Dataset, not of its RDD: the write is then a query whose observed metrics reach the caller
    data.foreachPartition((ForeachPartitionFunction<Row>) rows -> copyIn(options, copy, rows, encoders));
    return new BaseRelation() {
      @Override public SQLContext sqlContext() { return context; }
      @Override public StructType schema() { return schema; }
    };
  }

  static final int TEXT = 0, INT2 = 1, INT4 = 2, INT8 = 3, FLOAT4 = 4, FLOAT8 = 5, BOOL = 6, BYTEA = 7, DATE = 8, TIMESTAMPTZ = 9,
      TIMESTAMP = 10, WALL_TIME = 11, NUMERIC = 12;

  /** How a value of Spark type `type` is sent to a column of PostgreSQL type `column`; -1 when not here. */
  static int encoder(DataType type, String column) {
    switch (column) {
      case "text": case "varchar": case "bpchar": return type instanceof StringType ? TEXT : -1;
      case "int2": return type instanceof ShortType || type instanceof ByteType ? INT2 : -1;
      case "int4": return type instanceof IntegerType ? INT4 : -1;
      case "int8": return type instanceof LongType ? INT8 : -1;
      case "float4": return type instanceof FloatType ? FLOAT4 : -1;
      case "float8": return type instanceof DoubleType ? FLOAT8 : -1;
      case "bool": return type instanceof BooleanType ? BOOL : -1;
      case "bytea": return type instanceof BinaryType ? BYTEA : -1;
      case "date": return type instanceof DateType ? DATE : -1;
      case "timestamptz": return type instanceof TimestampType ? TIMESTAMPTZ : -1;
      case "timestamp": return type instanceof TimestampType ? WALL_TIME : type instanceof TimestampNTZType ? TIMESTAMP : -1;
      case "numeric": return type instanceof DecimalType ? NUMERIC : -1;
      default: return -1;
    }
  }

  /** One partition's rows through one COPY on its own connection: all of them, or (on any failure) none. */
  static void copyIn(JdbcOptionsInWrite options, String copy, Iterator<Row> rows, int[] encoders) throws Exception {
    try (Connection conn = JdbcDialects.get(options.url()).createConnectionFactory(options).apply(-1)) {
      PGCopyOutputStream copyIn = new PGCopyOutputStream(conn.unwrap(PGConnection.class), copy, 1 << 16);
      try {
        DataOutputStream out = new DataOutputStream(copyIn);
        out.write(HEADER);
        out.writeInt(0);  // flags
        out.writeInt(0);  // header extension length
        while (rows.hasNext()) {
          Row row = rows.next();
          out.writeShort(encoders.length);
          for (int i = 0; i < encoders.length; i++) {
            if (row.isNullAt(i)) out.writeInt(-1);
            else write(out, encoders[i], row.get(i));
          }
        }
        out.writeShort(-1);
        out.flush();
        copyIn.endCopy();
      } catch (Exception e) {
        if (copyIn.isActive()) copyIn.cancelCopy();  // the server rolls the partition back: no row of it stays
        throw e;
      }
    }
  }

  static final byte[] HEADER = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);
  static final LocalDateTime Y2000 = LocalDateTime.of(2000, 1, 1, 0, 0);
  static final long DAYS_1970_TO_2000 = 10_957, MICROS_1970_TO_2000 = DAYS_1970_TO_2000 * 86_400_000_000L;

  /** One value in COPY's binary format: its length, then the bytes the column type's receive function reads. */
  static void write(DataOutputStream out, int encoder, Object value) throws IOException {
    switch (encoder) {
      case TEXT: byte[] text = ((String) value).getBytes(StandardCharsets.UTF_8); out.writeInt(text.length); out.write(text); break;
      case INT2: out.writeInt(2); out.writeShort(((Number) value).shortValue()); break;
      case INT4: out.writeInt(4); out.writeInt((Integer) value); break;
      case INT8: out.writeInt(8); out.writeLong((Long) value); break;
      case FLOAT4: out.writeInt(4); out.writeFloat((Float) value); break;
      case FLOAT8: out.writeInt(8); out.writeDouble((Double) value); break;
      case BOOL: out.writeInt(1); out.writeByte((Boolean) value ? 1 : 0); break;
      case BYTEA: byte[] bytes = (byte[]) value; out.writeInt(bytes.length); out.write(bytes); break;
      case DATE:
        LocalDate day = value instanceof java.sql.Date ? ((java.sql.Date) value).toLocalDate() : (LocalDate) value;
        out.writeInt(4); out.writeInt((int) (day.toEpochDay() - DAYS_1970_TO_2000)); break;
      case TIMESTAMPTZ: out.writeInt(8); out.writeLong(ChronoUnit.MICROS.between(Instant.EPOCH, instant(value)) - MICROS_1970_TO_2000); break;
      case WALL_TIME: out.writeInt(8); out.writeLong(ChronoUnit.MICROS.between(Y2000, LocalDateTime.ofInstant(instant(value), ZoneId.systemDefault()))); break;
      case TIMESTAMP: out.writeInt(8); out.writeLong(ChronoUnit.MICROS.between(Y2000, (LocalDateTime) value)); break;
      default: writeNumeric(out, (BigDecimal) value);
    }
  }

  static Instant instant(Object value) { return value instanceof Timestamp ? ((Timestamp) value).toInstant() : (Instant) value; }

  /** numeric's binary form: base-10000 digits, the weight of the first, the sign and the scale. */
  static void writeNumeric(DataOutputStream out, BigDecimal value) throws IOException {
    BigDecimal v = value.scale() < 0 ? value.setScale(0) : value;
    int scale = v.scale();
    String digits = v.unscaledValue().abs().toString() + "000".substring(0, (4 - scale % 4) % 4);
    digits = "000".substring(0, (4 - digits.length() % 4) % 4) + digits;
    int groups = digits.length() / 4, weight = groups - (scale + 3) / 4 - 1;
    short[] base10000 = new short[groups];
    for (int g = 0; g < groups; g++) base10000[g] = Short.parseShort(digits.substring(4 * g, 4 * g + 4));
    int first = 0, last = groups;
    while (first < last && base10000[first] == 0) { first++; weight--; }
    while (last > first && base10000[last - 1] == 0) last--;
    if (first == last) weight = 0;
    out.writeInt(8 + 2 * (last - first));
    out.writeShort(last - first);
    out.writeShort(weight);
    out.writeShort(v.signum() < 0 ? 0x4000 : 0);
    out.writeShort(scale);
    for (int g = first; g < last; g++) out.writeShort(base10000[g]);
  }
}
