Feature: Transactional tool calls with savepoint exec
  `savepoint exec --plan P --tool NAME -- cmd args…` checkpoints the plan's sandbox first
  (unless the plan declares the tool `skip`), runs the command without a shell, records an
  attempt and exits with the command's own exit code. With --rollback-on-failure a failed,
  killed or timed-out command leaves the sandbox exactly as it was before the call.

  Background:
    Given a git repository
    And the repository has these committed files:
      | path       | content              |
      | src/app.js | console.log('v1');\n |
    And an active plan
    And the agent writes "console.log('v2');\n" to "src/app.js"
    And the agent writes "draft\n" to "notes.txt"
    And the agent stages "notes.txt"

  Scenario: a successful command runs in the sandbox and is recorded
    When I run "savepoint exec --plan <plan> --tool Bash --json -- node -e 'require(`fs`).writeFileSync(`made.txt`, `ok`)'"
    Then the run succeeds
    And the JSON "outcome" is "success"
    And the JSON "exitCode" is 0
    And the JSON "tool" is "Bash"
    And the JSON "checkpointId" is a ULID
    And the JSON "elapsedMs" is a number
    And the file "made.txt" exists
    And the plan has 2 checkpoints

  Scenario: a failing command's exit code is propagated and its changes stay
    When I run "savepoint exec --plan <plan> --tool Bash -- node -e 'require(`fs`).writeFileSync(`half.txt`, `x`); process.exit(3)'"
    Then the exit code is 3
    And stderr contains "failed"
    And the file "half.txt" exists

  Scenario: --rollback-on-failure leaves the sandbox exactly as before a failing command
    When I note the state of the sandbox
    And I run "savepoint exec --plan <plan> --tool Codemod --rollback-on-failure --json -- node -e 'const fs = require(`fs`); fs.writeFileSync(`src/app.js`, `broken`); fs.rmSync(`notes.txt`); fs.writeFileSync(`junk.txt`, `j`); process.exit(1)'"
    Then the exit code is 1
    And the JSON "outcome" is "rolled_back"
    And the JSON "exitCode" is 1
    And the JSON "rollbackSafetyCheckpointId" is a ULID
    And the sandbox is unchanged

  Scenario: everything after the first -- is the command's own argv, untouched
    When I run "savepoint exec --plan <plan> --tool Bash -- node -e 'require(`fs`).writeFileSync(`args.txt`, process.argv.slice(1).join(`|`))' -- --plan x --json --"
    Then the run succeeds
    And the file "args.txt" has the content "--plan|x|--json|--"
    And stdout does not contain "attemptId"

  Scenario: a command that outlives --timeout is killed, exits 124 and is rolled back
    When I note the state of the sandbox
    And I run "savepoint exec --plan <plan> --tool Slow --timeout 0.5 --rollback-on-failure --json -- node -e 'require(`fs`).writeFileSync(`partial.txt`, `p`); setTimeout(() => {}, 60000)'"
    Then the exit code is 124
    And the JSON "outcome" is "rolled_back"
    And the JSON "signal" is "SIGTERM"
    And the JSON "timedOut" is true
    And the sandbox is unchanged

  Scenario: a tool declared skip runs without a checkpoint, and cannot roll back
    Given I run "savepoint plan policy set <plan> --tool 'Read*=skip'"
    And the run succeeds
    When I run "savepoint exec --plan <plan> --tool ReadFile --json -- node -e 0"
    Then the run succeeds
    And the JSON "checkpointId" is null
    And the plan has 1 checkpoint
    When I note the state of the sandbox
    And I run "savepoint exec --plan <plan> --tool ReadFile --rollback-on-failure -- node -e 'require(`fs`).writeFileSync(`ran.txt`, ``)'"
    Then it fails with exit code 2 and error code "USAGE"
    And the error message contains "nothing to roll back to"
    And the sandbox is unchanged

  Scenario Outline: savepoint's own failures keep their codes (<json>: human or JSON mode)
    When I run "savepoint exec --plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --tool Bash <json> -- node -e 0"
    Then it fails with exit code 3 and error code "PLAN_NOT_FOUND"
    When I run "savepoint exec --plan <plan> --tool Bash <json> -- savepoint-no-such-program"
    Then it fails with exit code 3 and error code "COMMAND_NOT_STARTED"
    When I run "savepoint exec --plan <plan> --tool Bash --timeout soon <json> -- node -e 0"
    Then it fails with exit code 2 and error code "USAGE"
    When I run "savepoint exec --plan <plan> --tool Bash <json>"
    Then it fails with exit code 2 and error code "USAGE"
    When I run "savepoint exec --plan <plan> --tool Bash <json> stray -- node -e 0"
    Then it fails with exit code 2 and error code "USAGE"
    And the error message contains "the command goes after --"

    Examples:
      | json      |
      | --wait 5  |
      | --json    |

  Scenario: attempts list and stats report the log in JSON
    Given I run "savepoint exec --plan <plan> --tool Bash -- node -e 0"
    And the run succeeds
    And I run "savepoint exec --plan <plan> --tool Bash -- node -e 'process.exit(2)'"
    And the exit code is 2
    And I run "savepoint exec --plan <plan> --tool Edit --rollback-on-failure -- node -e 'process.exit(5)'"
    And the exit code is 5
    When I run "savepoint attempts list --plan <plan> --json"
    Then the run succeeds
    And the JSON "attempts" has 3 items
    And the JSON "attempts[0]" has the keys "tool, exitCode, outcome, elapsedMs"
    And the JSON "attempts[2].outcome" is "rolled_back"
    When I run "savepoint attempts list --tool Bash --outcome failed --since 1h --json"
    Then the run succeeds
    And the JSON "attempts" has 1 item
    And the JSON "attempts[0].exitCode" is 2
    When I run "savepoint attempts stats --json"
    Then the run succeeds
    And the JSON "stats" has 3 items
    And the JSON "stats[0]" has the keys "tool, outcome, count, meanMs, p95Ms"
    And the JSON "stats[0].tool" is "Bash"
    And the JSON "stats[0].count" is 1
    When I run "savepoint attempts list --outcome meh" in human mode
    Then it fails with exit code 2 and error code "USAGE"
