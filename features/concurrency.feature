Feature: Concurrency
  One lock per sandbox serializes savepoint's mutating commands across processes. A command
  that cannot get it within --wait seconds exits 6 (BUSY) and changes nothing; the lock of a
  killed process is taken over.

  Background:
    Given a git repository
    And the repository has these committed files:
      | path   | content |
      | a.txt  | one\n   |
    And an active plan
    And the agent writes "two\n" to "a.txt"
    And I note the state of the sandbox as "before"

  Scenario Outline: a held sandbox lock makes a mutating command exit 6 after --wait (<output>)
    Given another savepoint process holds the plan's sandbox lock
    When I run "savepoint checkpoint create --plan <plan> --wait 0.2" <output>
    Then it fails with exit code 6 and error code "BUSY"
    And the sandbox matches the state "before"

    Examples:
      | output         |
      | in human mode  |
      | with --json    |

  Scenario: a bad --wait is a usage error
    When I run "savepoint checkpoint create --plan <plan> --wait soon --json"
    Then it fails with exit code 2 and error code "USAGE"

  Scenario: the lock of a killed process is taken over at once
    Given I run "savepoint checkpoint create --plan <plan>" and it is killed at "checkpoint.after-intent"
    When I run "savepoint recover --wait 0 --json"
    Then the run succeeds
    When I run "savepoint checkpoint create --plan <plan> --wait 0 --json"
    Then the run succeeds
    And doctor reports the repository clean
