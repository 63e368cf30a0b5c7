Feature: savepoint runs no program the repository names, and prints control characters visibly
  A repository's config can name programs git would start: hooks, pagers, filters, editors.
  No savepoint command runs them. Strings a user or a repository supplies (reasons, metadata,
  decision summaries, paths) reach human output with every control character written as
  \xHH; --json keeps the exact string.

  Background:
    Given a git repository
    And an active plan

  Scenario: git hooks do not run during checkpoint, rollback and undo
    Given every git hook of the repository writes a marker file
    And the agent writes "changed\n" to "README.md"
    When I run "savepoint checkpoint create --plan <plan> --reason hooks"
    Then the run succeeds
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes"
    Then the run succeeds
    When I run "savepoint undo --yes"
    Then the run succeeds
    And no git hook ran

  Scenario: ESC in --reason and --meta is printed as \x1b by checkpoint show and list
    Given the agent writes "changed\n" to "README.md"
    When I run "savepoint checkpoint create --plan <plan> --reason '\e[31mred\e[0m' --meta 'note=\e]0;title\a' --json" where \e is ESC
    Then the run succeeds
    And the JSON "metadata.reason" is "\u001b[31mred\u001b[0m"
    And the JSON "metadata.meta.note" is "\u001b]0;title\u0007"
    When I run "savepoint checkpoint show <checkpoint:latest>"
    Then the run succeeds
    And stdout and stderr hold no control character but newlines
    And stdout contains "\x1b[31mred\x1b[0m"
    And stdout contains "\x1b]0;title\x07"
    When I run "savepoint checkpoint list --plan <plan>"
    Then the run succeeds
    And stdout and stderr hold no control character but newlines
    And stdout contains "\x1b[31mred"

  Scenario: ESC in a decision summary is printed visibly, exact in --json
    When I run "savepoint decision record --plan <plan> --summary 'one\e[2Jtwo' --json" where \e is ESC
    Then the run succeeds
    And the JSON "summary" is "one\u001b[2Jtwo"
    When I run "savepoint decision list --plan <plan>"
    Then the run succeeds
    And stdout and stderr hold no control character but newlines
    And stdout contains "one\x1b[2Jtwo"
    When I run "savepoint decision list --plan <plan> --json"
    Then the run succeeds
    And the JSON "decisions[0].summary" is "one\u001b[2Jtwo"
