Feature: Plan policy
  Each plan has a policy: how many checkpoints retention keeps, which tools need a
  checkpoint before they run, the size cap of untracked files and what rollback does with
  HEAD by default. Fields never set read as their defaults.

  Background:
    Given a git repository
    And an active plan

  Scenario: a new plan's policy shows every default
    When I run "savepoint plan policy show <plan> --json"
    Then the run succeeds
    And the JSON "planId" is "<plan>"
    And the JSON "policy" is {"retention": {"max": 50}, "tools": {}, "head": "restore", "defaultType": "commit"}
    When I run "savepoint plan policy show <plan>"
    Then the run succeeds
    And stdout contains "retention.max     50"
    And stdout contains "every tool checkpoints"

  Scenario: set changes only the fields it is given
    When I run "savepoint plan policy set <plan> --retention-max 7 --tool 'Read*=skip' --tool Edit=checkpoint --json"
    Then the run succeeds
    And the JSON "policy" is {"retention": {"max": 7}, "tools": {"Read*": "skip", "Edit": "checkpoint"}, "head": "restore", "defaultType": "commit"}
    When I run "savepoint plan policy set <plan> --head keep --untracked-size-cap 1024"
    Then the run succeeds
    And stdout contains "Updated the policy of plan <plan>"
    When I run "savepoint plan policy show <plan> --json"
    Then the JSON "policy" is {"retention": {"max": 7}, "tools": {"Read*": "skip", "Edit": "checkpoint"}, "head": "keep", "untrackedSizeCap": 1024, "defaultType": "commit"}

  Scenario: plan create --retention-max sets the retention of the new plan
    Given the plan is applied
    When I run "savepoint plan create --retention-max 5 --json"
    Then the run succeeds
    When I run "savepoint plan policy show <plan> --json"
    Then the JSON "policy.retention" is {"max": 5}

  Scenario Outline: a bad policy value is a usage error and nothing is written (<output>)
    When I run "savepoint plan policy set <plan> <flags>" <output>
    Then it fails with exit code 2 and error code "USAGE"
    And the error message contains "<message>"
    When I run "savepoint plan policy show <plan> --json"
    Then the JSON "policy" is {"retention": {"max": 50}, "tools": {}, "head": "restore", "defaultType": "commit"}

    Examples:
      | flags                                     | output        | message                      |
      | --retention-max 0                         | in human mode | greater than or equal to 1   |
      | --retention-max 0                         | with --json   | greater than or equal to 1   |
      | --retention-max 9 --tool Read=maybe       | in human mode | NAME=checkpoint or NAME=skip |
      | --retention-max 9 --tool Read=maybe       | with --json   | NAME=checkpoint or NAME=skip |
      | --head detach                             | in human mode | head                         |
      | --head detach                             | with --json   | head                         |
      | --untracked-size-cap -1                   | in human mode | untracked-size-cap           |
      | --untracked-size-cap -1                   | with --json   | untracked-size-cap           |
      |                                           | in human mode | nothing to set               |
      |                                           | with --json   | nothing to set               |

  Scenario Outline: plan create refuses a bad --retention-max (<output>)
    Given the plan is applied
    When I run "savepoint plan create --retention-max 0" <output>
    Then it fails with exit code 2 and error code "USAGE"
    When I run "savepoint plan list --state active --json"
    Then the JSON "plans" has 0 items

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario Outline: the policy of an unknown plan is "not found" (<output>)
    When I run "savepoint plan policy <command>" <output>
    Then it fails with exit code 3 and error code "PLAN_NOT_FOUND"
    And the error message contains "plan 01JD3Q6Z5K8M2N4P6R8T0V2X4Y not found"

    Examples:
      | command                                          | output        |
      | show 01JD3Q6Z5K8M2N4P6R8T0V2X4Y                  | in human mode |
      | show 01JD3Q6Z5K8M2N4P6R8T0V2X4Y                  | with --json   |
      | set 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --head keep       | in human mode |
      | set 01JD3Q6Z5K8M2N4P6R8T0V2X4Y --head keep       | with --json   |

  Scenario Outline: the policy of a plan that is no longer active cannot change (<output>)
    Given the plan is abandoned
    When I run "savepoint plan policy set <plan> --retention-max 3" <output>
    Then it fails with exit code 4 and error code "PLAN_NOT_ACTIVE"
    And the error message contains "is abandoned"
    When I run "savepoint plan policy show <plan> --json"
    Then the run succeeds
    And the JSON "policy.retention" is {"max": 50}

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Rule: tool declarations

    Background:
      Given the agent writes "changed\n" to "README.md"
      And I run "savepoint plan policy set <plan> --tool 'Read*=skip' --tool ReadWrite=checkpoint --json"
      And the run succeeds

    Scenario: a tool declared skip gets no checkpoint, and exit 0
      When I run "savepoint checkpoint create --plan <plan> --tool ReadFile --json"
      Then the run succeeds
      And the JSON "" is {"skipped": true, "planId": "<plan>", "tool": "ReadFile", "reason": "tool declared skip", "pattern": "Read*"}
      And the plan has 1 checkpoint

    Scenario: in human mode a skip is one line
      When I run "savepoint checkpoint create --plan <plan> --tool ReadFile"
      Then the run succeeds
      And stdout contains "Skipped: tool ReadFile is declared skip (Read*) in the policy of plan <plan>; no checkpoint taken (--force takes one)"
      And stdout is one line

    Scenario: an exact name wins over a glob; other tools checkpoint
      When I run "savepoint checkpoint create --plan <plan> --tool ReadWrite --json"
      Then the run succeeds
      And the JSON "skipped" is false
      And the JSON "deduplicated" is false
      And the plan has 2 checkpoints

    Scenario: --force checkpoints a tool declared skip
      When I run "savepoint checkpoint create --plan <plan> --tool ReadFile --force --json"
      Then the run succeeds
      And the JSON "skipped" is false
      And the JSON "metadata.tool" is "ReadFile"
      And the plan has 2 checkpoints

  Rule: rollback and scans follow the policy

    Scenario: rollback leaves HEAD where it is when the policy says head keep
      Given the agent writes "more\n" to "README.md"
      And the agent stages everything
      And the agent commits with the message "moved on"
      And I run "savepoint plan policy set <plan> --head keep --json"
      And the run succeeds
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
      Then the run succeeds
      And the JSON "head.action" is "kept"
      When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --head restore --json"
      Then the run succeeds
      And the JSON "head.action" is "move"

    Scenario: the plan's untrackedSizeCap skips larger untracked files
      Given I run "savepoint plan policy set <plan> --untracked-size-cap 10 --json"
      And the run succeeds
      And a file "big.bin" of 100 bytes
      When I run "savepoint checkpoint create --plan <plan> --json"
      Then the run succeeds
      And the JSON "skippedPaths" is [{"path": "big.bin", "reason": "too-large", "sizeBytes": 100}]
