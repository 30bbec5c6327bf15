package dev.dbsnap.storage;

/** An object's key, size in bytes and ETag. */
public record ObjectInfo(String key, long size, String etag) {}
