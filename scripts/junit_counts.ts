/**
 * Prints "N passed, N failed" from a JUnit XML report (deno test --junit-path). A test case counts
 * as failed when it holds a <failure> or <error>; skipped cases are not counted as passed.
 * Usage: deno run --allow-read scripts/junit_counts.ts report.xml
 */
if (import.meta.main) {
  const path = Deno.args[0];
  const xml = Deno.readTextFileSync(path);
  const cases = xml.match(/<testcase\b[\s\S]*?(?:\/>|<\/testcase>)/g) ?? [];
  let passed = 0;
  let failed = 0;
  for (const testCase of cases) {
    if (/<(failure|error)\b/.test(testCase)) failed++;
    else if (!/<skipped\b/.test(testCase)) passed++;
  }
  if (cases.length === 0) {
    console.error(`no test cases in ${path}`);
    Deno.exit(1);
  }
  console.log(`${passed} passed, ${failed} failed`);
}
