import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Runs every compiled `*.test.js` under dist/test, one node process per file, in order, so
 * suites that start servers and worker pools cannot disturb each other. Prints each file's
 * output and ends with one line, `N passed, N failed`, summing uvu's per-file totals.
 * Arguments filter files by substring: `npm test -- api/event`.
 *
 * A whole run also measures line coverage of src/ (V8's, mapped back to the TypeScript) and
 * fails below the floor in .c8rc.json; a filtered run does not (it covers only a part).
 */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const root = join(process.cwd(), 'dist', 'test');
const filters = process.argv.slice(2);
const coverageFolder = join(process.cwd(), 'coverage', 'tmp');
const isMeasuringCoverage = filters.length === 0;
if (isMeasuringCoverage) rmSync(coverageFolder, { recursive: true, force: true });

const files = findTests(root).filter(
  (file) => filters.length === 0 || filters.some((filter) => file.includes(filter)),
);

let passed = 0;
let failed = 0;
const failedFiles: string[] = [];

for (const file of files) {
  const name = relative(root, file);
  process.stdout.write(`\n# ${name}\n`);
  const { code, output } = await runFile(file);
  const text = output.replace(ANSI, '');
  const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const ok = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);

  passed += ok;
  // uvu's totals can undercount when a file runs several suites; its FAIL lines do not.
  const failLines = text.match(/^\s+FAIL\s/gm)?.length ?? 0;
  const fileFailures = Math.max(total - ok - skipped, failLines);
  failed += fileFailures;
  if (code !== 0 || total === 0) {
    failedFiles.push(name);
    // A file that crashed before reporting, or reported nothing, counts as one failure.
    if (fileFailures === 0) failed += 1;
  }
}

if (isMeasuringCoverage && !(await checkCoverage())) {
  failedFiles.push('coverage below the floor in .c8rc.json');
  failed += 1;
}
if (failedFiles.length > 0)
  process.stdout.write(`\nFailed files:\n  ${failedFiles.join('\n  ')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;

function findTests(folder: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder).sort()) {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (entry.endsWith('.test.js')) found.push(path);
  }
  return found;
}

function runFile(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const coverage = isMeasuringCoverage ? { NODE_V8_COVERAGE: coverageFolder } : {};
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      env: { ...process.env, FORCE_COLOR: '0', ...coverage },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Prints the coverage summary of the run and checks it against the floor (c8, .c8rc.json). */
function checkCoverage(): Promise<boolean> {
  const c8 = join(process.cwd(), 'node_modules', 'c8', 'bin', 'c8.js');
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [c8, 'report', '--temp-directory', coverageFolder, '--check-coverage'],
      { stdio: 'inherit' },
    );
    child.on('close', (code) => resolve(code === 0));
  });
}
