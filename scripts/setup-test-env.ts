// Runs before `npm test`: installs what the suites need from outside npm, once, and says so.
// A failure is recorded, not fatal here: the suites that need the missing piece fail naming it.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { installReferee } from "../test/support/referee.ts";

const log = (line: string) => console.log(`[setup] ${line}`);

const refereeError = installReferee(log);
log(refereeError ? `referee: ${refereeError}` : "referee: ready");

if (!existsSync("/usr/bin/chromium")) {
  log("installing Debian's chromium for the browser tests");
  try {
    execFileSync(
      "sh",
      [
        "-c",
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/tmp/boxloop-apt.log 2>&1",
      ],
      {
        stdio: "inherit",
      },
    );
  } catch (error) {
    log(`chromium could not be installed: ${(error as Error).message}`);
  }
}
log(existsSync("/usr/bin/chromium") ? "chromium: ready" : "chromium: missing (browser tests will fail)");
