/** This package's version, as its tracer and meter report it (test/unit checks it against package.json). */
export const PACKAGE_VERSION = '0.1.0';
