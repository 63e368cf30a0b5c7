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

  @leaves-damage
  Scenario: the latest checkpoint's ref deleted, then git gc --prune=now: the others stay restorable
    Given the agent writes "one\n" to "README.md"
    And the agent takes a checkpoint "second"
    When the ref of checkpoint "second" is deleted
    And the user runs "git gc -q --prune=now"
    And I run "savepoint checkpoint create --plan <plan> --json"
    Then the run succeeds
    And the JSON "deduplicated" is false
    When I run "savepoint plan rollback <plan> <checkpoint:first> --yes --json"
    Then the run succeeds
    And the file "README.md" has the content "# demo\n"
    When I run "savepoint plan rollback <plan> <checkpoint:second> --yes" with --json
    Then it fails with exit code 9 and error code "CHECKPOINT_OBJECTS_MISSING"

  Scenario: legacy (non-cone) sparse checkout: undo brings back new files inside and outside the patterns
    Given the repository has these committed files:
      | path      | content |
      | in/a.txt  | a\n     |
      | out/b.txt | b\n     |
    And the user runs "git config core.sparseCheckout true"
    And a file ".git/info/sparse-checkout" with the content "/in/\n/README.md\n"
    And the user runs "git read-tree -m -u HEAD"
    And the agent takes a checkpoint "sparse"
    And the agent writes "new inside\n" to "in/new.txt"
    And the agent writes "new outside\n" to "out/new.txt"
    When I run "savepoint plan rollback <plan> <checkpoint:sparse> --yes"
    Then the run succeeds
    And "in/new.txt" does not exist
    And "out/new.txt" does not exist
    When I run "savepoint undo --yes"
    Then the run succeeds
    And the file "in/new.txt" has the content "new inside\n"
    And the file "out/new.txt" has the content "new outside\n"
    And "out/b.txt" does not exist
    And the index tag of "out/b.txt" is "S"
