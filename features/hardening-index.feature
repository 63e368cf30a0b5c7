Feature: index flags, sparse checkout and git commands run during a rollback never lose a byte
  assume-unchanged and skip-worktree entries, core.ignoreStat and legacy sparse checkout hide
  files from git's own walk; a checkpoint still holds the bytes on disk and a rollback writes
  them back, with the index flags as they were. A git command that moves HEAD while a rollback
  runs stops it (HEAD_CHANGED) before any file changes, or, once files were written, makes it
  ROLLBACK_INCOMPLETE: never a report that HEAD was restored when it was not.

  Background:
    Given a git repository
    And an active plan

  Scenario Outline: a local edit under <flag> is checkpointed and rolled back, the flag kept
    Given the agent marks "README.md" "<flag>"
    And the agent writes "a local edit\n" to "README.md"
    When I run "savepoint checkpoint create --plan <plan> --json"
    Then the run succeeds
    And I remember the checkpoint as "local"
    Given the agent writes "a second, longer local edit\n" to "README.md"
    When I run "savepoint plan rollback <plan> <checkpoint:local> --yes --json"
    Then the run succeeds
    And the JSON "restored.modified" is 1
    And the file "README.md" has the content "a local edit\n"
    And the index tag of "README.md" is "<tag>"
    When I run "savepoint undo --yes"
    Then the run succeeds
    And the file "README.md" has the content "a second, longer local edit\n"

    Examples:
      | flag             | tag |
      | skip-worktree    | S   |
      | assume-unchanged | h   |

  Scenario Outline: git switch -c before the rollback writes anything: HEAD_CHANGED (<output>)
    Given the agent writes "changed\n" to "README.md"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output> while "git switch -q -c other" runs at "rollback.after-safety"
    Then it fails with exit code 4 and error code "HEAD_CHANGED"
    And the error message contains "refs/heads/other"
    And the sandbox matches the state "during"
    And HEAD is on the branch "other"

    Examples:
      | output        |
      | in human mode |
      | with --json   |

  Scenario: git commit before the rollback writes anything: the details say what HEAD became
    Given the agent writes "committed during the rollback\n" to "new.txt"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes" with --json while "git commit -q --allow-empty -m during" runs at "rollback.after-safety"
    Then it fails with exit code 4 and error code "HEAD_CHANGED"
    And the error details "stage" is "before-write"
    And the error details "currentRef" is "refs/heads/main"
    And the sandbox matches the state "during"
    And the file "new.txt" has the content "committed during the rollback\n"

  Scenario Outline: git switch -c after the files were written: ROLLBACK_INCOMPLETE, HEAD_CHANGED as the cause (<output>)
    Given the agent writes "changed\n" to "README.md"
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes" <output> while "git switch -q -c other" runs at "rollback.after-worktree"
    Then it fails with exit code 1 and error code "ROLLBACK_INCOMPLETE"
    And the error message contains "HEAD changed while the rollback ran"
    And HEAD is on the branch "other"
    # recover needs HEAD back on the branch the rollback started on.
    When the user runs "git switch -q main"
    And I run "savepoint recover --plan <plan> --abort --json"
    Then the run succeeds
    And the file "README.md" has the content "changed\n"
    And HEAD is on the branch "main"

    Examples:
      | output        |
      | in human mode |
      | with --json   |
