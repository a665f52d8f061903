package io.nibble.ycsb;

import site.ycsb.ByteIterator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A YCSB record (named fields of bytes) as one value: a field count, then per field its name length (2 bytes),
 * name (UTF-8), value length (4 bytes) and value. Decoding checks every length against the buffer, so a value
 * that is not a record fails with a clear error instead of a garbled read.
 */
final class RecordCodec {
    private RecordCodec() { }

    static byte[] encode(Map<String, byte[]> fields) {
        int size = 4;
        for (Map.Entry<String, byte[]> f : fields.entrySet()) {
            size += 2 + f.getKey().getBytes(StandardCharsets.UTF_8).length + 4 + f.getValue().length;
        }
        ByteBuffer buf = ByteBuffer.allocate(size).putInt(fields.size());
        for (Map.Entry<String, byte[]> f : fields.entrySet()) {
            byte[] name = f.getKey().getBytes(StandardCharsets.UTF_8);
            if (name.length > 0xFFFF) {
                throw new IllegalArgumentException("field name longer than 65535 bytes");
            }
            buf.putShort((short) name.length).put(name).putInt(f.getValue().length).put(f.getValue());
        }
        return buf.array();
    }

    /** The fields named in {@code wanted} (all when null). */
    static Map<String, byte[]> decode(byte[] record, Set<String> wanted) {
        ByteBuffer buf = ByteBuffer.wrap(record);
        try {
            int count = buf.getInt();
            if (count < 0 || count > record.length) {
                throw new IllegalStateException("not a YCSB record: field count " + count);
            }
            Map<String, byte[]> fields = new LinkedHashMap<>(count * 2);
            for (int i = 0; i < count; i++) {
                byte[] name = new byte[Short.toUnsignedInt(buf.getShort())];
                buf.get(name);
                byte[] value = new byte[buf.getInt()];
                buf.get(value);
                String field = new String(name, StandardCharsets.UTF_8);
                if (wanted == null || wanted.contains(field)) {
                    fields.put(field, value);
                }
            }
            if (buf.hasRemaining()) {
                throw new IllegalStateException("not a YCSB record: " + buf.remaining() + " trailing bytes");
            }
            return fields;
        } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
            throw new IllegalStateException("not a YCSB record: lengths run past its " + record.length + " bytes", e);
        }
    }

    static Map<String, byte[]> toBytes(Map<String, ByteIterator> values) {
        Map<String, byte[]> fields = new LinkedHashMap<>(values.size() * 2);
        values.forEach((k, v) -> fields.put(k, v.toArray()));
        return fields;
    }
}
