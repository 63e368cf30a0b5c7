Feature: Prompts and signals never lose an edit
  The rollback question is asked without the sandbox lock, so other savepoint processes go on
  while a human thinks. Ctrl-C or SIGTERM stops any command with exit 130 or 143 and a plain
  line: an operation that had changed nothing is closed as cancelled and blocks nothing; one
  that may have changed the sandbox is left for `savepoint recover`. Declining is exit 8, not
  an error.

  Background: an agent changed a file after the plan started
    Given a git repository
    And the repository has these committed files:
      | path  | content |
      | a.txt | base\n  |
    And an active plan
    And the agent writes "changed\n" to "a.txt"

  Scenario: SIGTERM during a checkpoint: exit 143, cancelled, the next checkpoint is not blocked
    When I run "savepoint checkpoint create --plan <plan>" and it gets SIGTERM at "checkpoint.after-intent"
    Then the exit code is 143
    And stderr contains "stopped by SIGTERM; nothing was changed"
    And the output is a plain line: no stack trace, no error code, nothing in red
    When I run "savepoint ops list --state cancelled --json"
    Then the JSON "operations" has 1 item
    And the JSON "operations.0.kind" is "checkpoint.create"
    And the JSON "operations.0.error.code" is "CANCELLED"
    When I run "savepoint checkpoint create --plan <plan>"
    Then the run succeeds
    And doctor reports the repository clean

  Scenario: SIGINT during a rollback with --json: the CANCELLED envelope, exit 130
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json" and it gets SIGINT at "rollback.after-intent"
    Then it fails with exit code 130 and error code "CANCELLED"
    And the JSON "error.details.operations.0.state" is "cancelled"
    And the file "a.txt" has the content "changed\n"

  Scenario: SIGTERM after the safety checkpoint: the rollback is left for recover
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes" and it gets SIGTERM at "rollback.after-safety"
    Then the exit code is 143
    And stderr contains "may have changed the sandbox; run `savepoint recover`"
    When I run "savepoint checkpoint create --plan <plan>"
    Then the exit code is 7
    When I run "savepoint recover"
    Then the run succeeds
    And the file "a.txt" has the content "base\n"

  Scenario: "n" at the question is exit 8 with a plain line
    When I run "savepoint plan rollback <plan> <checkpoint:first>" on a terminal and press "n Enter" at the question
    Then the exit code is 8
    And stderr contains "rollback cancelled; nothing was changed"
    And the output is a plain line: no stack trace, no error code, nothing in red
    And the file "a.txt" has the content "changed\n"

  Scenario: Ctrl-C at the question is exit 130, recorded cancelled, and blocks nothing
    When I run "savepoint plan rollback <plan> <checkpoint:first>" on a terminal and press "C-c" at the question
    Then the exit code is 130
    And stderr contains "stopped by SIGINT; nothing was changed"
    And the output is a plain line: no stack trace, no error code, nothing in red
    When I run "savepoint ops list --state cancelled --json"
    Then the JSON "operations.0.kind" is "rollback"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    And the file "a.txt" has the content "base\n"
