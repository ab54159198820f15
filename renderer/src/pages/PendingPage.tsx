// A page whose service is not wired yet says so plainly, naming what it waits for.
export function PendingPage({ title, needs }: { title: string; needs: string }) {
  return (
    <div className="page">
      <div className="toolbar"><h1>{title}</h1></div>
      <section className="card">
        <p>This page is not available in this build: it needs {needs}.</p>
      </section>
    </div>
  );
}
