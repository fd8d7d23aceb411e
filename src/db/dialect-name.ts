/** The SQL dialects EventFlow runs on, chosen by the scheme of `DATABASE_URL`. */
export type DialectName = 'sqlite' | 'postgres' | 'mssql';
